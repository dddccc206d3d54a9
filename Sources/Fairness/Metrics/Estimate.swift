/// A published value with its uncertainty: sampling variance (finite groups) and DP noise variance together.
public struct Estimate: Sendable, Hashable, Codable {
    public var value: Double
    /// Variance from finite sampling (binomial, plug-in).
    public var samplingVariance: Double
    /// Variance propagated from the privacy layer's noise (delta method).
    public var noiseVariance: Double

    public init(value: Double, samplingVariance: Double = 0, noiseVariance: Double = 0) {
        self.value = value
        self.samplingVariance = samplingVariance
        self.noiseVariance = noiseVariance
    }

    /// Total variance: sampling plus noise.
    public var variance: Double { samplingVariance + noiseVariance }

    /// Standard error from the total variance.
    public var standardError: Double { variance.squareRoot() }

    enum CodingKeys: String, CodingKey {
        case value
        case samplingVariance = "sampling_variance"
        case noiseVariance = "noise_variance"
    }

    /// The rate `numerator / denominator` of released counts, or nil when the denominator is not positive.
    ///
    /// `p(1−p)/n` is the sampling variance; the noise of both counts is propagated by the delta method,
    /// `(Var a + p² Var b) / b²`, the two counts coming from independent DP series.
    static func rate(_ numerator: NoisyCount, over denominator: NoisyCount, clamp: Bool) -> Estimate? {
        guard denominator.value > 0 else { return nil }
        var p = numerator.value / denominator.value
        if clamp { p = min(1, max(0, p)) }
        let sampling = max(0, p * (1 - p)) / denominator.value
        let noise =
            (numerator.noiseVariance + p * p * denominator.noiseVariance) / (denominator.value * denominator.value)
        return Estimate(value: p, samplingVariance: sampling, noiseVariance: noise)
    }

    /// The estimate of the negated quantity (same variances).
    var negated: Estimate { Estimate(value: -value, samplingVariance: samplingVariance, noiseVariance: noiseVariance) }

    /// `a − b` of independent estimates.
    static func difference(_ a: Estimate, _ b: Estimate) -> Estimate {
        Estimate(
            value: a.value - b.value,
            samplingVariance: a.samplingVariance + b.samplingVariance,
            noiseVariance: a.noiseVariance + b.noiseVariance)
    }

    /// `a / b` of independent estimates (delta method); NaN when `b` is 0, as Fairlearn's 0/0.
    static func ratio(_ a: Estimate, _ b: Estimate) -> Estimate {
        let r = a.value / b.value
        let b2 = b.value * b.value
        func propagate(_ va: Double, _ vb: Double) -> Double { b.value == 0 ? .nan : va / b2 + r * r * vb / b2 }
        return Estimate(
            value: r,
            samplingVariance: propagate(a.samplingVariance, b.samplingVariance),
            noiseVariance: propagate(a.noiseVariance, b.noiseVariance))
    }
}
