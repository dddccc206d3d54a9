import Foundation
import Testing

@testable import Privacy

/// Chi-square goodness of fit of the exact samplers against their exact distributions.
@Suite struct SamplerTests {
    static let draws = 1_000_000

    /// Pearson's statistic over bins (merging bins whose expectation is below 10) and the
    /// Wilson–Hilferty approximation of the chi-square quantile at p = 1e-5.
    static func chiSquare(observed: [Int: Int], probability: [Int: Double], total: Int) -> (stat: Double, limit: Double) {
        var stat = 0.0
        var bins = 0
        var pendingO = 0.0
        var pendingE = 0.0
        for key in probability.keys.sorted() {
            pendingO += Double(observed[key] ?? 0)
            pendingE += probability[key]! * Double(total)
            if pendingE >= 10 {
                stat += (pendingO - pendingE) * (pendingO - pendingE) / pendingE
                bins += 1
                pendingO = 0
                pendingE = 0
            }
        }
        if pendingE > 0 {
            stat += (pendingO - pendingE) * (pendingO - pendingE) / pendingE
            bins += 1
        }
        let k = Double(bins - 1)
        let z = 4.265
        let limit = k * pow(1 - 2 / (9 * k) + z * (2 / (9 * k)).squareRoot(), 3)
        return (stat, limit)
    }

    /// Exact pmf (normalised over a range holding all but a negligible mass) of the discrete
    /// distribution with log-density `logWeight`.
    static func pmf(range: ClosedRange<Int>, logWeight: (Double) -> Double) -> [Int: Double] {
        var weights: [Int: Double] = [:]
        var total = 0.0
        for x in range {
            let w = exp(logWeight(Double(x)))
            weights[x] = w
            total += w
        }
        return weights.mapValues { $0 / total }
    }

    /// Counts of draws per value in -reach...reach (values outside are clamped to the ends).
    static func histogram(draws: Int, seed: UInt64, reach: Int, _ draw: (inout NoiseStream) -> Int64) -> [Int: Int] {
        var stream = NoiseKey.evaluationOnly(seed: seed).series("sampler-test").stream(domain: 7, index: 0)
        var counts = Array(repeating: 0, count: 2 * reach + 1)
        for _ in 0..<draws { counts[min(max(Int(draw(&stream)), -reach), reach) + reach] += 1 }
        var out: [Int: Int] = [:]
        for (i, c) in counts.enumerated() where c > 0 { out[i - reach] = c }
        return out
    }

    @Test(arguments: [(UInt128(9), UInt128(4)), (21, 1), (400, 1)])
    func discreteGaussianMatchesExactPMF(numerator: UInt128, denominator: UInt128) {
        let sampler = DiscreteGaussian(sigma2Numerator: numerator, sigma2Denominator: denominator)
        let sigma2 = Double(numerator) / Double(denominator)
        let reach = Int(12 * sigma2.squareRoot()) + 5
        let p = Self.pmf(range: -reach...reach) { -$0 * $0 / (2 * sigma2) }
        let counts = Self.histogram(draws: Self.draws, seed: UInt64(numerator), reach: reach) { sampler.sample(&$0) }
        let (stat, limit) = Self.chiSquare(observed: counts, probability: p, total: Self.draws)
        #expect(stat < limit, "χ² \(stat) ≥ \(limit) for σ² = \(sigma2)")
    }

    @Test func chiSquareRejectsAWrongVariance() {
        // The same test must fail when the claimed σ² is 5% off: it has power.
        let sampler = DiscreteGaussian(sigma2Numerator: 21)
        let p = Self.pmf(range: -60...60) { -$0 * $0 / (2 * 21 * 1.05) }
        let counts = Self.histogram(draws: Self.draws / 4, seed: 3, reach: 60) { sampler.sample(&$0) }
        let (stat, limit) = Self.chiSquare(observed: counts, probability: p, total: Self.draws / 4)
        #expect(stat > limit)
    }

    @Test func largeDiscreteGaussianMatchesGaussianBins() {
        // σ² ≈ 2^82, the scale of BLT noise on the 2^-40 grid; at this σ the discrete Gaussian's
        // bin masses equal the normal CDF's to far below double precision.
        let sampler = DiscreteGaussian(sigma2Numerator: UInt128(1) << 82)
        let sigma = sampler.variance.squareRoot()
        #expect(abs(sampler.variance / 0x1p82 - 1) < 1e-9)
        let width = sigma / 8
        let binned = Self.histogram(draws: Self.draws, seed: 11, reach: 41) {
            Int64(min(max((Double(sampler.sample(&$0)) / width).rounded(.down), -41), 40))
        }
        var p: [Int: Double] = [:]
        func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
        for bin in -41...40 {
            let lo = bin == -41 ? -Double.infinity : Double(bin) * width / sigma
            let hi = bin == 40 ? Double.infinity : Double(bin + 1) * width / sigma
            p[bin] = cdf(hi) - cdf(lo)
        }
        let (stat, limit) = Self.chiSquare(observed: binned, probability: p, total: Self.draws)
        #expect(stat < limit, "χ² \(stat) ≥ \(limit)")
    }

    @Test(arguments: [(UInt64(1), UInt64(1)), (7, 2), (30, 1)])
    func discreteLaplaceMatchesExactPMF(t: UInt64, s: UInt64) {
        let sampler = DiscreteLaplace(scaleNumerator: t, scaleDenominator: s)
        let scale = Double(t) / Double(s)
        let reach = Int(40 * scale) + 5
        let p = Self.pmf(range: -reach...reach) { -abs($0) / scale }
        let counts = Self.histogram(draws: Self.draws, seed: t * 31 + s, reach: reach) { sampler.sample(&$0) }
        let (stat, limit) = Self.chiSquare(observed: counts, probability: p, total: Self.draws)
        #expect(stat < limit, "χ² \(stat) ≥ \(limit) for scale \(scale)")
    }

    @Test func bernoulliExpHasTheExactMean() {
        var stream = NoiseKey.evaluationOnly(seed: 5).series("b").stream(domain: 1, index: 0)
        let n = 200_000
        var hits = 0
        for _ in 0..<n where stream.bernoulliExp(3, over: 2) == true { hits += 1 }
        let p = exp(-1.5)
        let sd = (p * (1 - p) / Double(n)).squareRoot()
        #expect(abs(Double(hits) / Double(n) - p) < 5 * sd)
    }

    @Test func integerSquareRootIsExact() {
        for n: UInt128 in [0, 1, 2, 3, 4, 15, 16, 17, 1 << 80, (1 << 80) - 1, UInt128(UInt64.max) * 3] {
            let r = integerSquareRoot(n)
            #expect(r * r <= n && (r + 1) * (r + 1) > n)
        }
    }
}
