import Foundation
import Testing

@testable import Privacy

/// Variances of a released prefix sum in closed form, computed here from each mechanism's
/// definition (tree levels; c_k = binom(2k, k)/4^k; BLT's θ and ω through an explicit inverse of C),
/// never from the engine's samplers or tables. Contribution bound 1, budget ρ, horizon T.
enum ClosedForm {
    /// Variance after `step` steps (1-based), step ≤ horizon.
    static func variance(_ mechanism: PrivacyConfiguration.Mechanism, rho: Double, horizon: Int, step: Int) -> Double {
        switch mechanism {
        case .tree, .honaker:
            // ⌊log2 T⌋ + 1 levels, each node σ² = levels/(2ρ); the prefix after t steps is the sum of
            // one node per set bit of t.
            let levels = Int(log2(Double(horizon)).rounded(.down)) + 1
            let sigma2 = Double(levels) / (2 * rho)
            var perLevel = [sigma2]
            if mechanism == .honaker {
                // Inverse-variance weighting of a node's own value (σ²) and its two children's sum.
                for _ in 1..<levels {
                    let children = 2 * perLevel.last!
                    perLevel.append(1 / (1 / sigma2 + 1 / children))
                }
            } else {
                perLevel += Array(repeating: sigma2, count: levels - 1)
            }
            return (0..<levels).reduce(0.0) { sum, level in step >> level & 1 == 1 ? sum + perLevel[level] : sum }
        case .sqrt:
            // A = C·C with c_k = binom(2k, k)/4^k: noise of variance Σ_{k<T} c_k²/(2ρ) per step, and the
            // prefix after t steps carries Σ_{k<t} c_k² of it.
            func c(_ k: Int) -> Double { exp(lgamma(Double(2 * k + 1)) - 2 * lgamma(Double(k + 1)) - Double(2 * k) * M_LN2) }
            let squares = (0..<horizon).map { c($0) * c($0) }
            return squares.reduce(0, +) / (2 * rho) * squares[0..<step].reduce(0, +)
        case .blt:
            // C's coefficients c_0 = 1, c_k = Σ ωᵢ θᵢ^(k−1); noise of variance Σ_{k<T} c_k²/(2ρ) on C·x; the
            // released prefix sums are A·C⁻¹ applied to it, a Toeplitz matrix whose coefficients are the
            // partial sums of C⁻¹'s.
            let parameters = try! BLTParameters.fitted(forHorizon: Int64(horizon))
            var c = [1.0]
            for k in 1..<horizon {
                c.append(zip(parameters.theta, parameters.omega).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(k - 1)) })
            }
            var inverse = [1.0]
            for k in 1..<step {
                var d = 0.0
                for j in 1...k { d -= c[j] * inverse[k - j] }
                inverse.append(d)
            }
            var partial = 0.0
            var rowNorm = 0.0
            for d in inverse {
                partial += d
                rowNorm += partial * partial
            }
            return c.reduce(0) { $0 + $1 * $1 } / (2 * rho) * rowNorm
        }
    }
}

@Suite struct ClosedFormAccuracy {
    static let rhos = [0.1, 0.5, 2.0]

    static func engine(_ mechanism: PrivacyConfiguration.Mechanism, rho: Double, horizon: Int64, seed: UInt64 = 42)
        throws -> PrivacyEngine
    {
        try PrivacyEngine(
            configuration: PrivacyConfiguration(mechanism: mechanism, rho: rho, horizon: horizon),
            key: NoiseKey.evaluationOnly(seed: seed))
    }

    /// The variance each release reports equals the closed form (BLT tabulates its variances at powers
    /// of two and interpolates between them, so it is compared there).
    @Test(arguments: PrivacyConfiguration.Mechanism.allCases, rhos)
    func reportedVariancesAreTheClosedForm(mechanism: PrivacyConfiguration.Mechanism, rho: Double) throws {
        let horizon = 256
        let engine = try Self.engine(mechanism, rho: rho, horizon: Int64(horizon))
        var counter = engine.makeCounter(series: "v")
        for step in 1...horizon {
            counter.add(1)
            let release = try counter.release(step: Int64(step - 1))
            guard mechanism != .blt || step & (step - 1) == 0 || step == horizon else { continue }
            let expected = ClosedForm.variance(mechanism, rho: rho, horizon: horizon, step: step)
            #expect(abs(release.variance / expected - 1) < 1e-6, "\(mechanism) ρ=\(rho) step \(step)")
            #expect(abs(engine.theoreticalRMSE(afterSteps: Int64(step)) / expected.squareRoot() - 1) < 1e-6)
        }
    }

    /// Errors of many independent series at two steps: their mean is 0 and their mean square is the
    /// closed-form variance. Each check is a z-test at 4.5σ (two-sided false-failure rate ≈ 7·10⁻⁶ for
    /// a Gaussian statistic, a few times that for the mean square's χ²/n at n = 250; below 10⁻³ over the
    /// 48 checks). The seed is fixed, so a run is reproducible.
    @Test(arguments: PrivacyConfiguration.Mechanism.allCases, rhos)
    func empiricalErrorsMatchTheClosedForm(mechanism: PrivacyConfiguration.Mechanism, rho: Double) throws {
        let horizon = mechanism == .sqrt ? 128 : 256
        let runs = 250
        let steps = [horizon / 2 + 1, horizon]
        let increments = (0..<horizon).map { Int64(($0 * 7) % 5) }
        let engine = try Self.engine(mechanism, rho: rho, horizon: Int64(horizon), seed: 9)
        var errors = Array(repeating: [Double](), count: steps.count)
        for run in 0..<runs {
            var counter = engine.makeCounter(series: "run-\(run)")
            var truth: Int64 = 0
            for step in 1...horizon {
                counter.add(increments[step - 1])
                truth += increments[step - 1]
                let release = try counter.release(step: Int64(step - 1))
                if let index = steps.firstIndex(of: step) { errors[index].append(release.value - Double(truth)) }
            }
        }
        for (index, step) in steps.enumerated() {
            let variance = ClosedForm.variance(mechanism, rho: rho, horizon: horizon, step: step)
            let n = Double(runs)
            let mean = errors[index].reduce(0, +) / n
            let meanSquare = errors[index].reduce(0) { $0 + $1 * $1 } / n
            let zMean = mean / (variance / n).squareRoot()
            let zSquare = (meanSquare / variance - 1) / (2 / n).squareRoot()
            #expect(abs(zMean) < 4.5, "\(mechanism) ρ=\(rho) step \(step): mean error \(mean), z = \(zMean)")
            #expect(
                abs(zSquare) < 4.5,
                "\(mechanism) ρ=\(rho) step \(step): mean square \(meanSquare) vs \(variance), z = \(zSquare)")
        }
    }

    /// With noise switched off (a test seam), every release is the exact prefix sum: consecutive
    /// steps, skipped steps (which release zero increments) and epochs beyond the horizon. Exact up to
    /// the fixed-point rounding of the Toeplitz mechanisms (< 10⁻⁶ here); a lost increment is ≥ 1.
    @Test(arguments: PrivacyConfiguration.Mechanism.allCases)
    func noiselessReleasesAreTheExactPrefixSums(mechanism: PrivacyConfiguration.Mechanism) throws {
        let engine = try Self.engine(mechanism, rho: 0.5, horizon: 64).silencedForTesting()
        var counter = engine.makeCounter(series: "exact")
        var truth: Int64 = 0
        var step: Int64 = 0
        var checked = 0
        for index in 0..<150 {
            let increment = Int64((index * 13) % 7)
            counter.add(increment)
            truth += increment
            step += index % 9 == 4 ? 3 : 1
            let release = try counter.release(step: step)
            #expect(abs(release.value - Double(truth)) < 1e-6, "\(mechanism) step \(step): \(release.value) vs \(truth)")
            #expect(release.variance > 0)
            checked += 1
        }
        #expect(step > 128 && checked == 150)
    }
}
