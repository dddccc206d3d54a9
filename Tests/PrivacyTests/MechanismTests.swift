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
        let sqrt = SqrtPlan(horizon: 1 << 16, rho: Rational(1, 2), contributionBound: 1)
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

    @Test func squareRootTheoryWithoutHistoryEqualsTheCounterPlan() {
        for log2Horizon in [0, 5, 12] {
            let horizon = Int64(1) << log2Horizon
            let plan = SqrtPlan(horizon: horizon, rho: Rational(1, 2), contributionBound: 2)
            let streamed = SqrtPlan.maxVariance(horizon: horizon, rho: Rational(1, 2), contributionBound: 2)
            #expect(abs(streamed / plan.stepVariance(horizon) - 1) < 1e-12)
        }
    }

    @Test func honakerImprovesOnThePlainTree() throws {
        let plain = try Self.engine(.tree, horizon: 1 << 16).theoreticalMaxRMSE
        let honaker = try Self.engine(.honaker, horizon: 1 << 16).theoreticalMaxRMSE
        #expect(honaker < plain * 0.9)
    }

    /// Empirical max-RMSE and last-step RMSE over independent runs agree with the theory within
    /// sampling error (relative standard error of an RMSE over n runs ≈ 1/√(2n)).
    @Test(arguments: PrivacyConfiguration.Mechanism.allCases)
    func empiricalRMSEMatchesTheory(mechanism: PrivacyConfiguration.Mechanism) throws {
        let steps = mechanism == .sqrt ? 128 : 512
        let runs = 300
        let increments = (0..<steps).map { Int64(($0 * 7) % 5) }
        let simulation = try Simulation(mechanism: mechanism, rho: 0.5, increments: increments, seed: 9)
        var truth: [Double] = []
        var sum = 0.0
        for x in increments {
            sum += Double(x)
            truth.append(sum)
        }
        var lastSquared = 0.0
        let summary = simulation.summary(runs: runs) { _, values in
            lastSquared += pow(values[steps - 1] - truth[steps - 1], 2)
        }
        let lastRMSE = (lastSquared / Double(runs)).squareRoot()
        let lastTheory = simulation.engine.theoreticalRMSE(afterSteps: Int64(steps))
        let tolerance = 4 / (2 * Double(runs)).squareRoot()
        #expect(abs(lastRMSE / lastTheory - 1) < tolerance, "last step \(lastRMSE) vs \(lastTheory)")
        // The max over steps of noisy RMSE estimates is biased upwards; mean over steps is not.
        #expect(abs(summary.meanRMSE / summary.theoreticalMeanRMSE - 1) < 0.05)
        #expect(summary.maxRMSE >= summary.theoreticalMaxRMSE * (1 - tolerance))
        #expect(summary.maxRMSE <= summary.theoreticalMaxRMSE * 1.25)
    }

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

    @Test func epochsContinueBeyondTheHorizon() throws {
        let engine = try Self.engine(.blt, horizon: 16)
        var c = engine.makeCounter(series: "e")
        var last: NoisyRelease?
        for step in 0..<40 {
            c.add(1)
            last = try c.release(step: Int64(step))
        }
        #expect(last!.epoch == 2)
        #expect(abs(last!.value - 40) < 12 * last!.standardDeviation)
        #expect(last!.variance > engine.theoreticalMaxRMSE * engine.theoreticalMaxRMSE)
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
