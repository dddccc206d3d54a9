import Foundation

/// Matrix-factorization counters A = B·C with lower-triangular Toeplitz C.
///
/// The mechanism releases y = g(x) + z, where g(x) ≈ 2^40·C·x is computed in integers and z is
/// discrete Gaussian on the integers; the published prefix sums A·C⁻¹·y / 2^40 are post-processing
/// of y, also computed in integers. The privacy analysis bounds the L2 sensitivity of g itself,
/// including its rounding, so the guarantee is for exactly the computation that runs.

/// The Buffered Linear Toeplitz mechanism (arXiv 2404.16706): C has generating function
/// 1 + Σᵢ ωᵢ x / (1 − θᵢ x), so both C·x and C⁻¹·y stream with d buffers each.
/// State per series: 2d + 2 integers (d = 4: 10 numbers) plus the step.
public struct BLTCounter: Sendable, Codable, Equatable {
    public private(set) var step: Int64 = 0
    public private(set) var pending: Int64 = 0
    /// Buffers of C·x: ≈ 2^40 Σ_{j<t} θᵢ^{t−1−j} x_j.
    var encode: [Int128]
    /// Buffers of C⁻¹·y.
    var decode: [Int128]
    /// Running prefix sum of C⁻¹·y (grid units).
    var total: Int128 = 0

    init(buffers: Int) {
        encode = Array(repeating: 0, count: buffers)
        decode = Array(repeating: 0, count: buffers)
    }

    mutating func add(_ value: Int64) { pending &+= value }

    mutating func release(plan: BLTPlan, noise: SeriesNoise) -> (value: Double, variance: Double) {
        let x = Int128(pending) * FixedPoint.gridScale
        var y = x
        for i in 0..<plan.theta.count {
            y += FixedPoint.multiply(encode[i], by: plan.omega[i])
            encode[i] = FixedPoint.multiply(encode[i], by: plan.theta[i]) + x
        }
        var stream = noise.stream(domain: NoiseDomain.toeplitzStep, index: UInt64(step))
        y += Int128(plan.sampler.sample(&stream))
        var w = y
        for i in 0..<plan.theta.count {
            w -= FixedPoint.multiply(decode[i], by: plan.omega[i])
        }
        for i in 0..<plan.theta.count {
            decode[i] = FixedPoint.multiply(decode[i], by: plan.theta[i]) + w
        }
        total += w
        step += 1
        pending = 0
        return (FixedPoint.double(total) * 0x1p-40, plan.stepVariance(step))
    }
}

/// The square-root factorization C = A^{1/2} (c_k = binom(2k, k) / 4^k), the accuracy reference.
/// It needs the whole history (O(t) time per step and O(t) state): for simulation and tests.
public struct SqrtCounter: Sendable, Codable, Equatable {
    public private(set) var step: Int64 = 0
    public private(set) var pending: Int64 = 0
    var history: [Int64] = []
    var released: [Double] = []

    mutating func add(_ value: Int64) { pending &+= value }

    mutating func release(plan: SqrtPlan, noise: SeriesNoise) -> (value: Double, variance: Double) {
        history.append(pending)
        let t = history.count - 1
        precondition(t < plan.scaled.count, "square-root horizon exceeded")
        var y: Int128 = 0
        for j in 0...t { y += Int128(plan.scaled[t - j]) * Int128(history[j]) }
        var stream = noise.stream(domain: NoiseDomain.toeplitzStep, index: UInt64(step))
        y += Int128(plan.sampler.sample(&stream))
        released.append(Double(y))
        // A·C⁻¹ = C for the square root; post-processing in floating point is harmless here.
        var value = 0.0
        for j in 0...t { value += plan.coefficients[t - j] * released[j] }
        step += 1
        pending = 0
        return (value * 0x1p-40, plan.stepVariance(step))
    }
}

/// Shared parameters of a BLT counter for one configuration (a class: every release reads it,
/// and copying its sampler and tables per release showed in profiles).
public final class BLTPlan: Sendable {
    /// θᵢ and ωᵢ as numerators over 2^62.
    let theta: [Int64]
    let omega: [Int64]
    let sampler: DiscreteGaussian
    /// Σ_{m<t} R_m² for the partial sums R of C⁻¹ at the checkpoints used by `stepVariance`.
    let rowNorms: RowNorms
    /// Σ_{k≤t} r_k² for the coefficients r of C⁻¹, used by `differenceVariance`.
    let inverseNorms: InverseRowNorms
    /// The noise as a linear system, used by `differenceVariance(after:through:)`.
    let dynamics: NoiseDynamics
    let horizon: Int64

    init(parameters: BLTParameters, horizon: Int64, rho: Rational, contributionBound: Int64) throws(PrivacyError) {
        theta = parameters.theta.map(FixedPoint.coefficient)
        omega = parameters.omega.map(FixedPoint.coefficient)
        self.horizon = horizon
        let thetaD = theta.map { Double($0) * 0x1p-62 }
        let omegaD = omega.map { Double($0) * 0x1p-62 }
        let oneMinus = theta.map { Double((Int64(1) << 62) - $0) * 0x1p-62 }
        // Squared column norm of C over the horizon (closed form; cancellation-free 1 − θᵢθⱼ).
        var sens2 = 1.0
        for i in theta.indices {
            for j in theta.indices {
                let gap = oneMinus[i] + oneMinus[j] - oneMinus[i] * oneMinus[j]
                let decay = exp(Double(horizon - 1) * log1p(-gap))
                sens2 += omegaD[i] * omegaD[j] * (1 - decay) / gap
            }
        }
        // Rounding in g changes each coordinate by less than E; over T coordinates that adds E·√T.
        var roundingBound = 0.0
        for i in theta.indices { roundingBound += abs(omegaD[i]) / oneMinus[i] + 1 }
        let grid = Double(FixedPoint.gridScale)
        let sensitivity = Double(contributionBound) * grid * sens2.squareRoot()
            + roundingBound * Double(horizon).squareRoot()
        sampler = try Self.gaussian(sensitivity: sensitivity, rho: rho)
        (rowNorms, inverseNorms) = RowNorms.both(theta: thetaD, omega: omegaD, horizon: horizon)
        dynamics = NoiseDynamics(theta: thetaD, omega: omegaD, horizon: horizon)
    }

    /// The same plan with another sampler (the test seam `PrivacyEngine.silencedForTesting()`).
    init(_ plan: BLTPlan, sampler: DiscreteGaussian) {
        theta = plan.theta
        omega = plan.omega
        self.sampler = sampler
        rowNorms = plan.rowNorms
        inverseNorms = plan.inverseNorms
        dynamics = plan.dynamics
        horizon = plan.horizon
    }

    /// The discrete Gaussian with σ² ≥ Δ²/(2ρ), rounded up with a 2^-30 relative margin that
    /// covers the floating-point evaluation of Δ.
    static func gaussian(sensitivity: Double, rho: Rational) throws(PrivacyError) -> DiscreteGaussian {
        let sigma2 = sensitivity * sensitivity / (2 * rho.doubleValue) * (1 + 0x1p-30)
        guard sigma2 < Double(DiscreteGaussian.maximumVariance) else { throw DiscreteGaussian.outOfRange }
        return DiscreteGaussian(sigma2Numerator: UInt128(sigma2.rounded(.up)))
    }

    /// Variance of the released prefix sum after `step` steps (count units).
    func stepVariance(_ step: Int64) -> Double {
        sampler.variance * 0x1p-80 * rowNorms.value(at: step)
    }

    /// Variance of the difference of the prefix sums released at `step` and `step − 1` (0-based
    /// steps within an epoch), i.e. of one step's own count: its noise is row `step` of C⁻¹z, with
    /// variance σ² Σ_{k≤step} r_k². Much smaller than the prefix sums' own variances, and bounded
    /// in `step` (the r_k decay).
    func differenceVariance(_ step: Int64) -> Double {
        sampler.variance * 0x1p-80 * inverseNorms.value(at: step)
    }
}

/// Σ_{k≤t} r_k² for the coefficients r of C⁻¹ of a BLT: exact for t < 4096, then tabulated at
/// powers of two and interpolated (the terms decay, so the sum flattens out).
struct InverseRowNorms: Sendable {
    let exact: [Double]
    let checkpoints: [(step: Int64, value: Double)]

    struct Builder {
        var exact: [Double] = []
        var points: [(Int64, Double)] = []
        var next: Int64 = 4096

        mutating func add(step t: Int64, total: Double, last: Bool) {
            if t < 4096 { exact.append(total) }
            if t == next || last {
                points.append((t, total))
                next *= 2
            }
        }

        func build() -> InverseRowNorms { InverseRowNorms(exact: exact, checkpoints: points) }
    }

    func value(at step: Int64) -> Double {
        if step < Int64(exact.count) { return exact[Int(max(0, step))] }
        var low = (step: Int64(exact.count - 1), value: exact[exact.count - 1])
        for point in checkpoints {
            if point.step >= step {
                let fraction = Double(step - low.step) / Double(point.step - low.step)
                return low.value + fraction * (point.value - low.value)
            }
            low = point
        }
        return low.value
    }
}

/// Squared last-row norms of A·C⁻¹ for a BLT, Σ_{m<t} R_m², tabulated at powers of two and
/// interpolated linearly between them (used for reported standard deviations only).
struct RowNorms: Sendable {
    let checkpoints: [(step: Int64, value: Double)]

    /// The row norms of A·C⁻¹ and of C⁻¹ from one pass over the coefficients r of C⁻¹.
    static func both(theta: [Double], omega: [Double], horizon: Int64) -> (RowNorms, InverseRowNorms) {
        var state = Array(repeating: 0.0, count: theta.count)
        var partial = 0.0
        var total = 0.0
        var inverseTotal = 0.0
        var points: [(Int64, Double)] = [(0, 0)]
        var inverse = InverseRowNorms.Builder()
        var next: Int64 = 1
        var t: Int64 = 0
        while t < max(horizon, 1) {
            var r = t == 0 ? 1.0 : 0.0
            for i in theta.indices { r -= omega[i] * state[i] }
            for i in theta.indices { state[i] = theta[i] * state[i] + r }
            partial += r
            total += partial * partial
            inverseTotal += r * r
            inverse.add(step: t, total: inverseTotal, last: t == max(horizon, 1) - 1)
            t += 1
            if t == next || t == horizon {
                points.append((t, total))
                next *= 2
            }
        }
        return (RowNorms(checkpoints: points), inverse.build())
    }

    func value(at step: Int64) -> Double {
        var low = checkpoints[0]
        for point in checkpoints {
            if point.step == step { return point.value }
            if point.step > step {
                let fraction = Double(step - low.step) / Double(point.step - low.step)
                return low.value + fraction * (point.value - low.value)
            }
            low = point
        }
        return checkpoints.last!.value
    }
}

/// Shared parameters of a square-root counter for one configuration.
public struct SqrtPlan: Sendable {
    /// c_k = binom(2k, k) / 4^k.
    let coefficients: [Double]
    /// round(2^40 c_k): the integer strategy actually applied to the data.
    let scaled: [Int64]
    var sampler: DiscreteGaussian
    let cumulative: [Double]

    init(horizon: Int64, rho: Rational, contributionBound: Int64) throws(PrivacyError) {
        var coefficients: [Double] = []
        var scaled: [Int64] = []
        var cumulative: [Double] = [0]
        let sums = Self.strategySums(horizon: horizon) { c, m in
            coefficients.append(c)
            scaled.append(m)
            cumulative.append(cumulative.last! + c * c)
        }
        self.coefficients = coefficients
        self.scaled = scaled
        self.cumulative = cumulative
        let k = UInt128(contributionBound)
        guard k * k * sums.scaled / (2 * rho.numerator) * rho.denominator < DiscreteGaussian.maximumVariance else {
            throw DiscreteGaussian.outOfRange
        }
        sampler = Self.gaussian(scaledSquares: sums.scaled, rho: rho, contributionBound: contributionBound)
    }

    /// Visits c_k and m_k = round(2^40 c_k) for k < horizon; returns Σ m_k² (exact) and Σ c_k².
    static func strategySums(horizon: Int64, visit: (Double, Int64) -> Void = { _, _ in })
        -> (scaled: UInt128, real: Double)
    {
        var c = 1.0
        var scaledSum: UInt128 = 0
        var realSum = 0.0
        for k in 0..<Int(horizon) {
            let m = Int64((c * 0x1p40).rounded())
            visit(c, m)
            scaledSum += UInt128(m) * UInt128(m)
            realSum += c * c
            c *= Double(2 * k + 1) / Double(2 * k + 2)
        }
        return (scaledSum, realSum)
    }

    /// σ² = k² Σ m_k² / (2ρ), exactly, rounded up to an integer.
    static func gaussian(scaledSquares: UInt128, rho: Rational, contributionBound: Int64) -> DiscreteGaussian {
        let k = UInt128(contributionBound)
        let numerator = k * k * scaledSquares * rho.denominator
        let denominator = 2 * rho.numerator
        return DiscreteGaussian(sigma2Numerator: (numerator + denominator - 1) / denominator)
    }

    /// The counter's variance after `horizon` steps (its maximum), computed in O(horizon) time and
    /// O(1) memory from the same integer strategy and σ² as the counter itself: the exact figure
    /// (up to double rounding of Σ c_k²) at any horizon, though the counter runs only to 2^16.
    static func maxVariance(horizon: Int64, rho: Rational, contributionBound: Int64) -> Double {
        let sums = strategySums(horizon: horizon)
        return gaussian(scaledSquares: sums.scaled, rho: rho, contributionBound: contributionBound).variance
            * 0x1p-80 * sums.real
    }

    func stepVariance(_ step: Int64) -> Double {
        sampler.variance * 0x1p-80 * cumulative[Int(min(step, Int64(cumulative.count - 1)))]
    }

    /// Variance of one step's own count (the difference of the prefix sums at `step` and
    /// `step − 1`): here the noise on prefix sums is C·z, so the difference has coefficients
    /// c_k − c_{k−1}.
    func differenceVariance(_ step: Int64) -> Double {
        var total = 0.0
        var previous = 0.0
        for k in 0...Int(min(step, Int64(coefficients.count - 1))) {
            let d = coefficients[k] - previous
            total += d * d
            previous = coefficients[k]
        }
        return sampler.variance * 0x1p-80 * total
    }
}
