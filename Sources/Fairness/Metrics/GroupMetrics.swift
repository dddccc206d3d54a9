/// Why a group, or a disparity metric, has no published value.
public enum Insufficiency: String, Sendable, Hashable, Codable {
    /// The group's (noisy) size is under the configured minimum.
    case belowMinimumGroupSize = "below_minimum_group_size"
    /// The rate's denominator (e.g. positives for TPR) is under the configured minimum.
    case belowMinimumDenominator = "below_minimum_denominator"
    /// Fewer than two groups have a value, so no disparity exists to measure.
    case fewerThanTwoGroups = "fewer_than_two_groups"
    /// No labels were observed in the window.
    case noLabels = "no_labels"
}

/// A rate or disparity that is either published with its uncertainty or reported as insufficient — never as 0.
public enum MetricValue: Sendable, Hashable {
    case value(Estimate)
    case insufficient(Insufficiency)

    /// The estimate, or nil when insufficient.
    public var estimate: Estimate? {
        if case .value(let estimate) = self { return estimate }
        return nil
    }
}

/// The per-group metrics of one window (or one offline evaluation).
public struct GroupMetrics: Sendable, Hashable {
    public var count: Estimate
    public var selectionRate: MetricValue
    public var meanScore: MetricValue?
    public var truePositiveRate: MetricValue?
    public var falsePositiveRate: MetricValue?
    /// Whether the group reaches the minimum size and so takes part in the disparity metrics.
    public var sufficient: Bool
}

/// How a metric is computed from counts.
public struct MetricOptions: Sendable, Hashable {
    /// Groups with fewer (noisy) records are reported as insufficient and left out of disparities.
    public var minGroupSize: Double
    /// Rates whose denominator (positives, negatives, scored) is under this are insufficient.
    public var minDenominator: Double
    /// Fairlearn/scikit-learn compatibility: a TPR/FPR with a zero denominator is 0 (as
    /// `confusion_matrix(normalize="true")` gives) and one group suffices for a disparity.
    /// The monitor turns this off and reports such cases as insufficient instead.
    public var fairlearnZeroDivision: Bool
    /// Clamp noisy rates to [0, 1].
    public var clampRates: Bool
    /// The minimum group size is checked against the noisy count's lower bound `count − z·noise s.d.` with this `z`
    /// (0: the point value).
    public var minGroupSizeZ: Double

    public init(
        minGroupSize: Double = 0, minDenominator: Double = 0, fairlearnZeroDivision: Bool = false,
        clampRates: Bool = true, minGroupSizeZ: Double = 0
    ) {
        self.minGroupSizeZ = minGroupSizeZ
        self.minGroupSize = minGroupSize
        self.minDenominator = minDenominator
        self.fairlearnZeroDivision = fairlearnZeroDivision
        self.clampRates = clampRates
    }

    /// Exactly Fairlearn 0.15's behaviour on exact counts (used by `steward fairness evaluate`).
    public static let fairlearn = MetricOptions(fairlearnZeroDivision: true, clampRates: false)
}

extension GroupMetrics {
    /// Metrics of one group from its released counts.
    public init(counts: NoisyGroupCounts, hasLabels: Bool, hasScores: Bool, options: MetricOptions) {
        let total = counts[.total]
        let lowerBound = total.value - options.minGroupSizeZ * total.noiseVariance.squareRoot()
        let sufficient = lowerBound >= max(options.minGroupSize, Double.leastNonzeroMagnitude)
        func rate(_ numerator: CountField, _ denominator: CountField) -> MetricValue {
            guard sufficient else { return .insufficient(.belowMinimumGroupSize) }
            let d = counts[denominator]
            if options.fairlearnZeroDivision && d.value == 0 { return .value(Estimate(value: 0)) }
            guard d.value >= max(options.minDenominator, Double.leastNonzeroMagnitude),
                let estimate = Estimate.rate(counts[numerator], over: d, clamp: options.clampRates)
            else { return .insufficient(.belowMinimumDenominator) }
            return .value(estimate)
        }
        var meanScore: MetricValue?
        if hasScores {
            // A mean, not a proportion: only the noise variance is known from counts (not the scores' spread).
            let scored = counts[.scored]
            if !sufficient {
                meanScore = .insufficient(.belowMinimumGroupSize)
            } else if scored.value < max(options.minDenominator, Double.leastNonzeroMagnitude) {
                meanScore = .insufficient(.belowMinimumDenominator)
            } else {
                let sum = counts[.scoreSum]
                let mean = sum.value / scored.value
                let noise = (sum.noiseVariance + mean * mean * scored.noiseVariance) / (scored.value * scored.value)
                meanScore = .value(Estimate(value: mean, noiseVariance: noise))
            }
        }
        self.init(
            count: Estimate(value: total.value, noiseVariance: total.noiseVariance),
            selectionRate: rate(.predictedPositive, .total), meanScore: meanScore,
            truePositiveRate: hasLabels ? rate(.truePositive, .labelPositive) : nil,
            falsePositiveRate: hasLabels ? rate(.falsePositive, .labelNegative) : nil, sufficient: sufficient)
    }
}
