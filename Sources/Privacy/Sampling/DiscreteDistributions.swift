/// The discrete Laplace distribution on the integers, P(x) ∝ exp(-|x| / scale), with a rational
/// scale `numerator/denominator` (Canonne, Kamath, Steinke 2020, Algorithm 2).
public struct DiscreteLaplace: Sendable, Equatable {
    /// Scale = t / s in the paper's notation.
    public let t: UInt64
    public let s: UInt64

    public init(scaleNumerator t: UInt64, scaleDenominator s: UInt64 = 1) {
        precondition(t > 0 && s > 0, "the scale must be positive")
        self.t = t
        self.s = s
    }

    /// One exact draw.
    @inlinable
    public func sample(_ random: inout NoiseStream) -> Int64 {
        while true {
            let u = random.uniform(below: t)
            guard random.bernoulliExpUnit(UInt128(u), over: UInt128(t)) == true else { continue }
            var v: UInt64 = 0
            while random.bernoulliExpMinusOne() { v += 1 }
            let (tv, o1) = t.multipliedReportingOverflow(by: v)
            let (x, o2) = tv.addingReportingOverflow(u)
            // An overflow needs v > 2^63 / t: probability below exp(-2^63 / t); redraw.
            if o1 || o2 { continue }
            let y = x / s
            let negative = random.bit()
            if negative && y == 0 { continue }
            guard y <= UInt64(Int64.max) else { continue }
            return negative ? -Int64(y) : Int64(y)
        }
    }
}

/// The discrete Gaussian distribution on the integers, P(x) ∝ exp(-x² / (2σ²)), with a rational
/// variance parameter σ² = numerator/denominator (Canonne, Kamath, Steinke 2020, Algorithm 3).
///
/// Sampling uses only integer arithmetic. Its variance is at most σ² and its privacy guarantee
/// for an integer-valued query of L2 sensitivity Δ is Δ²/(2σ²)-zCDP.
public struct DiscreteGaussian: Sendable, Equatable {
    /// σ² = sigma2Numerator / sigma2Denominator (after any conservative rounding up).
    public let sigma2Numerator: UInt128
    public let sigma2Denominator: UInt128
    /// Laplace proposal scale t = ⌊σ⌋ + 1.
    @usableFromInline let proposal: DiscreteLaplace
    /// σ²/t = muNumerator/muDenominator.
    @usableFromInline let muNumerator: UInt128
    @usableFromInline let muDenominator: UInt128
    /// γ = (|y|·q − p)² · gammaFactor / gammaDenominator.
    @usableFromInline let gammaFactor: UInt128
    @usableFromInline let gammaDenominator: UInt128

    /// Variances at least this large are rounded up (by less than σ) to a multiple of the proposal
    /// scale, so every intermediate fits in 128 bits. Rounding up only adds noise.
    static let largeVariance: UInt128 = 1 << 40

    /// The largest σ² a sampler supports.
    public static let maximumVariance: UInt128 = 1 << 100

    /// What a mechanism reports when its calibrated σ² is beyond `maximumVariance`.
    static let outOfRange = PrivacyError(
        .configuration,
        "the noise this contribution bound needs at this rho is beyond the sampler's range (σ² over 2^100 on the "
            + "mechanism's 2^-40 grid): lower the per-person caps (K·M) or raise rho")

    /// A sampler for σ² = numerator/denominator, with σ² ≤ 2^100.
    public init(sigma2Numerator numerator: UInt128, sigma2Denominator denominator: UInt128 = 1) {
        precondition(numerator > 0 && denominator > 0, "σ² must be positive")
        precondition(numerator / denominator <= UInt128(1) << 100, "σ² above 2^100 is not supported")
        var n = numerator
        var d = denominator
        let t = integerSquareRoot(n / d) + 1
        if n / d >= Self.largeVariance {
            n = t * ((n + d * t - 1) / (d * t))
            d = 1
        }
        let g = gcd(n, d)
        n /= g
        d /= g
        sigma2Numerator = n
        sigma2Denominator = d
        variance = Double(n) / Double(d)
        proposal = DiscreteLaplace(scaleNumerator: UInt64(t))
        let gm = gcd(n, d * t)
        muNumerator = n / gm
        muDenominator = d * t / gm
        // γ = (|y| − p/q)² / (2n/d) = (|y|q − p)² · d / (2 n q²)
        let denominatorFull = 2 * n * muDenominator * muDenominator
        let g2 = gcd(d, denominatorFull)
        gammaFactor = d / g2
        gammaDenominator = denominatorFull / g2
    }

    /// σ² as a Double (for reporting only; never used in sampling).
    public let variance: Double

    /// Test seam: when set, every draw is 0, so tests can check a mechanism's prefix sums exactly
    /// (`PrivacyEngine.silencedForTesting()`). Internal, and false in every sampler the engine builds.
    @usableFromInline var isSilencedForTesting = false

    /// One exact draw.
    @inlinable
    public func sample(_ random: inout NoiseStream) -> Int64 {
        if isSilencedForTesting { return 0 }
        while true {
            let y = proposal.sample(&random)
            let magnitude = UInt128(y.magnitude)
            let (scaled, o1) = magnitude.multipliedReportingOverflow(by: muDenominator)
            if o1 { continue }
            let distance = scaled > muNumerator ? scaled - muNumerator : muNumerator - scaled
            let (square, o2) = distance.multipliedReportingOverflow(by: distance)
            let (numerator, o3) = square.multipliedReportingOverflow(by: gammaFactor)
            // Overflow means γ > 2^128 / gammaDenominator ≥ 2^20: acceptance below exp(-2^20).
            if o2 || o3 { continue }
            if random.bernoulliExp(numerator, over: gammaDenominator) == true { return y }
        }
    }
}

@usableFromInline
func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
}

/// ⌊√n⌋, exactly.
func integerSquareRoot(_ n: UInt128) -> UInt128 {
    if n < 2 { return n }
    var x = UInt128(Double(n).squareRoot())
    while x > 0 && x.multipliedReportingOverflow(by: x).overflow || x * x > n { x -= 1 }
    while true {
        let (sq, overflow) = (x + 1).multipliedReportingOverflow(by: x + 1)
        if overflow || sq > n { break }
        x += 1
    }
    return x
}
