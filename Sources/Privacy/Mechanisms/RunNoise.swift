/// The noise variance of the difference of two prefix sums one series releases: the count of a run of
/// consecutive steps, whose noise does not add up step by step because neighbouring prefixes share noise.

extension PrivacyEngine {
    /// Variance of the noise of `p_b − p_a`, the difference of the prefix sums one series releases at absolute
    /// steps `a` < `b` (`a` < 0: the empty prefix, exactly 0): the count of the run of steps `a + 1 ... b`.
    ///
    /// Exact for BLT and sqrt, from the mechanism's coefficients: the noise of every prefix is a row of the noise
    /// matrix applied to the same draws, so `Var(p_b − p_a)` is σ² times the squared norm of the rows'
    /// difference, far below `(σ_a + σ_b)²` for prefixes close together. Across an epoch boundary the epochs draw
    /// independent noise and the earlier epoch's final prefix is carried over exactly, so the parts in each epoch
    /// add up. Nil for the tree mechanisms: use the bound `(σ_a + σ_b)²` there.
    public func differenceVariance(from a: Int64, to b: Int64) -> Double? {
        if case .tree = plan { return nil }
        guard b > a else { return 0 }
        let horizon = configuration.horizon
        // Positions within an epoch; −1 is the epoch's start (the carried-over prefix, no noise of its own).
        let (firstEpoch, first) = a < 0 ? (Int64(0), Int64(-1)) : (a / horizon, a % horizon)
        let (lastEpoch, last) = (b / horizon, b % horizon)
        if firstEpoch == lastEpoch { return withinEpoch(after: first, through: last) }
        var total = first == horizon - 1 ? 0 : withinEpoch(after: first, through: horizon - 1)
        if lastEpoch - firstEpoch > 1 {
            total += Double(lastEpoch - firstEpoch - 1) * withinEpoch(after: -1, through: horizon - 1)
        }
        return total + withinEpoch(after: -1, through: last)
    }

    /// `Var(p_b − p_a)` for positions `a` < `b` of one epoch (`a` = −1: from the epoch's start).
    func withinEpoch(after a: Int64, through b: Int64) -> Double {
        switch plan {
        case .tree: preconditionFailure("the tree mechanisms have no exact difference variance")
        case .sqrt(let p): p.differenceVariance(after: a, through: b)
        case .blt(let p): p.differenceVariance(after: a, through: b)
        }
    }
}

extension SqrtPlan {
    /// `Var(p_b − p_a)` within an epoch: the prefix noise is C·z, so the difference has coefficients
    /// `c_{i+k} − c_i` on the draws up to `a` and `c_n` (n < k) on the `k = b − a` draws after it.
    func differenceVariance(after a: Int64, through b: Int64) -> Double {
        let k = Int(b - a)
        var total = cumulative[min(k, cumulative.count - 1)]
        if a >= 0 {
            for i in 0...Int(a) {
                let d = coefficients[i + k] - coefficients[i]
                total += d * d
            }
        }
        return sampler.variance * 0x1p-80 * total
    }
}

extension BLTPlan {
    /// `Var(p_b − p_a)` within an epoch (`NoiseDynamics`), in count units.
    func differenceVariance(after a: Int64, through b: Int64) -> Double {
        sampler.variance * 0x1p-80 * dynamics.differenceVariance(after: a, through: b)
    }
}

/// The noise of a BLT's released prefix sums as a linear system, for the variance of any two prefixes' difference
/// in O(log t) small matrix products.
///
/// The decoder's noise is `w_t = z_t − Σᵢ ωᵢ dᵢ(t)` with buffers `dᵢ(t+1) = θᵢ dᵢ(t) + w_t` and prefix
/// `P(t+1) = P(t) + w_t`: the state `s = (d, P)` moves as `s(t+1) = G s(t) + e z_t` (`e` all ones). From a zero
/// state, after `n` steps its covariance is `N(n) = Σ_{j<n} Gʲ e eᵀ (Gʲ)ᵀ` (unit noise variance), and
/// `N(m + n) = N(m) + Gᵐ N(n) (Gᵐ)ᵀ`: `powers[i]` holds `G^(2^i)` and `N(2^i)`, which any `n` combines.
struct NoiseDynamics: Sendable {
    /// Buffers plus the prefix.
    let size: Int
    let powers: [(transition: [Double], covariance: [Double])]

    init(theta: [Double], omega: [Double], horizon: Int64) {
        let n = theta.count + 1
        size = n
        var g = Array(repeating: 0.0, count: n * n)
        for i in 0..<n {
            for j in 0..<theta.count { g[i * n + j] = -omega[j] }
            if i < theta.count { g[i * n + i] += theta[i] } else { g[i * n + i] = 1 }
        }
        var powers = [(transition: g, covariance: Array(repeating: 1.0, count: n * n))]
        while Int64(1) << (powers.count - 1) < max(1, horizon) {
            let (a, covariance) = powers[powers.count - 1]
            powers.append(
                (Self.product(a, a, n), Self.sum(covariance, Self.sandwich(a, covariance, n))))
        }
        self.powers = powers
    }

    /// `Gⁿ` and `N(n)`.
    func advance(_ steps: Int64) -> (transition: [Double], covariance: [Double]) {
        var transition = Array(repeating: 0.0, count: size * size)
        for i in 0..<size { transition[i * size + i] = 1 }
        var covariance = Array(repeating: 0.0, count: size * size)
        var bit = 0
        var rest = steps
        while rest > 0 {
            if rest & 1 == 1 {
                precondition(bit < powers.count, "step beyond the plan's horizon")
                let power = powers[bit]
                covariance = Self.sum(covariance, Self.sandwich(transition, power.covariance, size))
                transition = Self.product(transition, power.transition, size)
            }
            rest >>= 1
            bit += 1
        }
        return (transition, covariance)
    }

    /// `Var(p_b − p_a) / σ²` for positions `a` < `b` of one epoch (`a` = −1: from its start). The prefix at `a` is
    /// `P(a + 1)`: the buffers' covariance after `a + 1` steps carries into the run, whose prefix starts at 0.
    func differenceVariance(after a: Int64, through b: Int64) -> Double {
        let last = size - 1
        var start = advance(a + 1).covariance
        for i in 0..<size {
            start[i * size + last] = 0
            start[last * size + i] = 0
        }
        let (transition, fresh) = advance(b - a)
        var total = fresh[last * size + last]
        for i in 0..<last {
            let row = transition[last * size + i]
            for j in 0..<last { total += row * start[i * size + j] * transition[last * size + j] }
        }
        return total
    }

    static func product(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = Array(repeating: 0.0, count: n * n)
        for i in 0..<n {
            for k in 0..<n where a[i * n + k] != 0 {
                for j in 0..<n { c[i * n + j] += a[i * n + k] * b[k * n + j] }
            }
        }
        return c
    }

    /// `A X Aᵀ`.
    static func sandwich(_ a: [Double], _ x: [Double], _ n: Int) -> [Double] {
        let ax = product(a, x, n)
        var c = Array(repeating: 0.0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var total = 0.0
                for k in 0..<n { total += ax[i * n + k] * a[j * n + k] }
                c[i * n + j] = total
            }
        }
        return c
    }

    static func sum(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 + $1 } }
}
