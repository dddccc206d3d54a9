import Foundation
import Testing

@testable import Privacy

@Suite struct MechanismTests {
    static func engine(_ mechanism: PrivacyConfiguration.Mechanism, horizon: Int64, rho: Double = 0.5) throws
        -> PrivacyEngine
    {
        try PrivacyEngine(
            configuration: PrivacyConfiguration(mechanism: mechanism, rho: rho, horizon: horizon),
            key: NoiseKey.evaluationOnly(seed: 42))
    }

    @Test func treeAndSqrtTheoryMatchTheIssueFigures() throws {
        // ρ = 0.5, sensitivity 1, T = 2^20: binary tree 20.49, square root 5.48.
        #expect(abs(try Self.engine(.tree, horizon: 1 << 20).theoreticalMaxRMSE - 20.49) < 0.01)
        let sqrt = try SqrtPlan(horizon: 1 << 16, rho: Rational(1, 2), contributionBound: 1)
        #expect(abs(sqrt.stepVariance(1 << 16).squareRoot() - 4.596) < 0.005)
    }

    /// Every tabulated horizon, and the first horizon each of the long rows serves (a row serves
    /// the horizons from the previous row's, exclusive, to its own).
    @Test(arguments: [
        (10, 0), (16, 0), (20, 0), (20, 1), (21, 0), (21, 1), (22, 0), (22, 1), (23, 0), (23, 1), (24, 0),
    ])
    func bltIsWithinFivePercentOfTheSquareRoot(log2Horizon: Int, plus: Int64) throws {
        let horizon = (Int64(1) << log2Horizon) + plus
        let blt = try Self.engine(.blt, horizon: horizon).theoreticalMaxRMSE
        // Σ_{k<T} c_k² is the square-root factorization's max-RMSE at ρ = 0.5.
        var c = 1.0
        var sqrt = 0.0
        for k in 0..<Int(horizon) {
            sqrt += c * c
            c *= Double(2 * k + 1) / Double(2 * k + 2)
        }
        #expect(blt <= 1.05 * sqrt, "BLT \(blt) vs sqrt \(sqrt) at 2^\(log2Horizon)")
        #expect(blt >= sqrt * 0.999, "no mechanism beats the optimal Toeplitz factorization by this much")
        if horizon == 1 << 20 { #expect(blt <= 5.75) }
    }

    @Test func squareRootTheoryWithoutHistoryEqualsTheCounterPlan() throws {
        for log2Horizon in [0, 5, 12] {
            let horizon = Int64(1) << log2Horizon
            let plan = try SqrtPlan(horizon: horizon, rho: Rational(1, 2), contributionBound: 2)
            let streamed = SqrtPlan.maxVariance(horizon: horizon, rho: Rational(1, 2), contributionBound: 2)
            #expect(abs(streamed / plan.stepVariance(horizon) - 1) < 1e-12)
        }
    }

    @Test func honakerImprovesOnThePlainTree() throws {
        let plain = try Self.engine(.tree, horizon: 1 << 16).theoreticalMaxRMSE
        let honaker = try Self.engine(.honaker, horizon: 1 << 16).theoreticalMaxRMSE
        #expect(honaker < plain * 0.9)
    }

    // Accuracy against closed-form variances at several ρ: PrivacyTests.swift (ClosedFormAccuracy).

    @Test func releasesAreReproducibleAndSeriesAreIndependent() throws {
        let engine = try Self.engine(.blt, horizon: 1024)
        func run(_ series: String) throws -> [Double] {
            var c = engine.makeCounter(series: series)
            return try (0..<50).map { step in
                c.add(Int64(step % 3))
                return try c.release(step: Int64(step)).value
            }
        }
        #expect(try run("a") == run("a"))
        #expect(try run("a") != run("b"))
    }

    @Test(arguments: PrivacyConfiguration.Mechanism.allCases)
    func snapshotRestoreContinuesIdentically(mechanism: PrivacyConfiguration.Mechanism) throws {
        let engine = try Self.engine(mechanism, horizon: 256)
        var straight = engine.makeCounter(series: "s")
        var first = engine.makeCounter(series: "s")
        var expected: [NoisyRelease] = []
        for step in 0..<300 {
            straight.add(Int64(step % 4))
            expected.append(try straight.release(step: Int64(step)))
        }
        var got: [NoisyRelease] = []
        for step in 0..<137 {
            first.add(Int64(step % 4))
            got.append(try first.release(step: Int64(step)))
        }
        let data = try JSONEncoder().encode(first.snapshot())
        var restored = try engine.restoreCounter(JSONDecoder().decode(SeriesCounter.Snapshot.self, from: data))
        // Re-asking for the latest step re-releases the same value and spends nothing.
        #expect(try restored.release(step: 136) == got.last!)
        for step in 137..<300 {
            restored.add(Int64(step % 4))
            got.append(try restored.release(step: Int64(step)))
        }
        #expect(got == expected)
        #expect(throws: PrivacyError.self) { try restored.release(step: 10) }
    }

    @Test func skippedStepsReleaseZeroIncrements() throws {
        let engine = try Self.engine(.blt, horizon: 64)
        var a = engine.makeCounter(series: "x")
        var b = engine.makeCounter(series: "x")
        a.add(5)
        _ = try a.release(step: 0)
        a.add(2)
        let jumped = try a.release(step: 3)
        b.add(5)
        _ = try b.release(step: 0)
        _ = try b.release(step: 1)
        _ = try b.release(step: 2)
        b.add(2)
        #expect(try b.release(step: 3) == jumped)
    }

    /// A stream three epochs long: the last release carries the first epochs' noisy totals and their
    /// variance. Over 400 series the standardized errors have mean 0 and mean square 1, each within
    /// 4.5 standard errors (two-sided false-failure rate ≈ 7·10⁻⁶ for the mean, a few times that for
    /// the mean square's χ²/n; the seed is fixed).
    @Test func epochsContinueBeyondTheHorizon() throws {
        let engine = try Self.engine(.blt, horizon: 16)
        var z: [Double] = []
        var last: NoisyRelease?
        for series in 0..<400 {
            var c = engine.makeCounter(series: "e\(series)")
            for step in 0..<40 {
                c.add(1)
                last = try c.release(step: Int64(step))
            }
            z.append((last!.value - 40) / last!.standardDeviation)
        }
        #expect(last!.epoch == 2)
        // Two finished epochs of 16 steps and 8 steps of the third.
        let epochVariance = engine.theoreticalRMSE(afterSteps: 16) * engine.theoreticalRMSE(afterSteps: 16)
        let partVariance = engine.theoreticalRMSE(afterSteps: 8) * engine.theoreticalRMSE(afterSteps: 8)
        #expect(abs(last!.variance / (2 * epochVariance + partVariance) - 1) < 1e-9)
        let n = Double(z.count)
        let mean = z.reduce(0, +) / n
        let meanSquare = z.reduce(0) { $0 + $1 * $1 } / n
        #expect(abs(mean) < 4.5 / n.squareRoot(), "mean standardized error \(mean)")
        #expect(abs(meanSquare - 1) < 4.5 * (2 / n).squareRoot(), "mean squared standardized error \(meanSquare)")
    }

    @Test func postProcessingIsAppliedAfterReleaseAndMarked() throws {
        var configuration = PrivacyConfiguration(mechanism: .tree, rho: 0.01, horizon: 64)
        configuration.postProcessing = .init(round: true, nonNegative: true, monotone: true)
        let engine = try PrivacyEngine(configuration: configuration, key: NoiseKey.evaluationOnly(seed: 1))
        var c = engine.makeCounter(series: "p")
        var previous = -Double.infinity
        for step in 0..<64 {
            let r = try c.release(step: Int64(step))
            #expect(r.postProcessed)
            #expect(r.published >= 0 && r.published == r.published.rounded() && r.published >= previous)
            previous = r.published
        }
    }

    @Test func fixedPointMultiplyFloors() {
        #expect(FixedPoint.multiply(10, by: Int64(1) << 61) == 5)
        #expect(FixedPoint.multiply(-3, by: Int64(1) << 61) == -2)
        let big = Int128(1) << 100
        #expect(FixedPoint.multiply(big, by: (Int64(1) << 62) - 1) == big - (Int128(1) << 38))
    }
}
