/// The binary tree mechanism (Chan, Shi, Song 2011) with exact discrete Gaussian node noise, and
/// Honaker's bottom-up variance-reduced estimate (Honaker 2015) as an option.
///
/// Every step adds to one node per level, so the L2 sensitivity of the node vector is √levels per
/// unit of contribution. State: O(log horizon) numbers per series.
public struct TreeCounter: Sendable, Codable, Equatable {
    /// Number of released steps so far.
    public private(set) var step: Int64 = 0
    /// Contributions to the step being filled.
    public private(set) var pending: Int64 = 0
    /// Exact sums of the completed nodes on the left path, one slot per level.
    var exactSlots: [Int64]
    /// Noisy (plain) or variance-reduced (Honaker) estimates of the same nodes.
    var estimateSlots: [Double]

    init(levels: Int) {
        exactSlots = Array(repeating: 0, count: levels)
        estimateSlots = Array(repeating: 0, count: levels)
    }

    mutating func add(_ value: Int64) { pending &+= value }

    /// Closes the current step and returns the noisy prefix sum and its variance.
    mutating func release(plan: TreePlan, noise: SeriesNoise) -> (value: Double, variance: Double) {
        step += 1
        let t = UInt64(step)
        let top = t.trailingZeroBitCount
        precondition(top < plan.levels, "tree horizon exceeded")
        if plan.honaker {
            var exact = pending
            var estimate = Double(nodeValue(plan: plan, noise: noise, level: 0, exact: exact, end: t))
            for level in stride(from: 1, through: top, by: 1) {
                exact = exactSlots[level - 1] &+ exact
                let noisy = Double(nodeValue(plan: plan, noise: noise, level: level, exact: exact, end: t))
                let children = estimateSlots[level - 1] + estimate
                estimate = plan.nodeWeight[level] * noisy + (1 - plan.nodeWeight[level]) * children
            }
            exactSlots[top] = exact
            estimateSlots[top] = estimate
        } else {
            var exact = pending
            for level in 0..<top { exact &+= exactSlots[level] }
            exactSlots[top] = exact
            estimateSlots[top] = Double(nodeValue(plan: plan, noise: noise, level: top, exact: exact, end: t))
        }
        pending = 0
        var value = 0.0
        var variance = 0.0
        var bits = t
        while bits != 0 {
            let level = bits.trailingZeroBitCount
            value += estimateSlots[level]
            variance += plan.nodeVariance[level]
            bits &= bits - 1
        }
        return (value, variance)
    }

    /// Exact node sum plus its discrete Gaussian noise; the noise is keyed by (level, position).
    func nodeValue(plan: TreePlan, noise: SeriesNoise, level: Int, exact: Int64, end: UInt64) -> Int64 {
        var stream = noise.stream(domain: NoiseDomain.treeNode, index: UInt64(level) << 56 | (end >> level))
        return exact &+ plan.sampler.sample(&stream)
    }
}

/// Noise domains keep the streams of different uses apart.
enum NoiseDomain {
    static let treeNode: UInt32 = 1
    static let toeplitzStep: UInt32 = 2
}

/// Shared, immutable parameters of the tree mechanisms for one configuration.
public struct TreePlan: Sendable {
    public let levels: Int
    public let honaker: Bool
    public internal(set) var sampler: DiscreteGaussian
    /// Variance of the node estimate at each level (σ² for the plain tree).
    public let nodeVariance: [Double]
    /// Weight of a node's own noisy value in Honaker's estimate, per level.
    let nodeWeight: [Double]

    /// A plan for `horizon` steps with per-series contribution bound `contributionBound` and budget ρ.
    init(horizon: Int64, rho: Rational, contributionBound: Int64, honaker: Bool) {
        levels = 64 - UInt64(horizon).leadingZeroBitCount  // ⌊log2 T⌋ + 1 levels reach step T
        self.honaker = honaker
        // σ² = levels · k² / (2ρ) = levels · k² · q / (2p) for ρ = p/q.
        let k = UInt128(contributionBound)
        sampler = DiscreteGaussian(
            sigma2Numerator: UInt128(levels) * k * k * rho.denominator, sigma2Denominator: 2 * rho.numerator)
        let sigma2 = sampler.variance
        var variances = [sigma2]
        var weights = [1.0]
        for _ in 1..<max(levels, 1) {
            if honaker {
                let children = 2 * variances.last!
                weights.append(children / (sigma2 + children))
                variances.append(sigma2 * children / (sigma2 + children))
            } else {
                weights.append(1)
                variances.append(sigma2)
            }
        }
        nodeVariance = variances
        nodeWeight = weights
    }

    /// The largest variance of a released prefix sum over steps 1...horizon (the variance of step
    /// t is the sum of the node variances over the set bits of t).
    func maxVariance(horizon: Int64) -> Double {
        let t = UInt64(horizon)
        func variance(_ s: UInt64) -> Double {
            var total = 0.0
            var bits = s
            while bits != 0 {
                total += nodeVariance[bits.trailingZeroBitCount]
                bits &= bits - 1
            }
            return total
        }
        var best = variance(t)
        // Candidates: clear one set bit of T and set every lower bit.
        for bit in 0..<64 where t >> bit & 1 == 1 && bit > 0 {
            let candidate = (t & ~((1 << (bit + 1)) - 1)) | ((1 << bit) - 1)
            best = max(best, variance(candidate))
        }
        return best
    }
}
