import Foundation
import Testing

@testable import Privacy

/// Noise is a pure function of (noise key, series, absolute step): a counter started late — a
/// restarted process that lost its state — releases every step's count with exactly the noise an
/// uninterrupted counter gave that step, and no two (series, step) pairs share a noise value.
@Suite struct AbsoluteStepTests {
    static func engine(_ mechanism: PrivacyConfiguration.Mechanism, horizon: Int64) throws -> PrivacyEngine {
        try PrivacyEngine(
            configuration: PrivacyConfiguration(mechanism: mechanism, rho: 0.5, horizon: horizon),
            key: NoiseKey.evaluationOnly(seed: 7))
    }

    /// The data of step `step` of series `series` (deterministic, so every run sees the same).
    static func increment(_ series: Int, _ step: Int64) -> Int64 { Int64((Int(step) * 31 + series * 17) % 11) }

    /// Each step's count minus its true increment, for steps `start..<end`, from a counter started
    /// at `start` with no history, skipping the steps in `gaps` (windows where the group had no
    /// event: their increments arrive with the next released step, as in the stream stage).
    static func stepNoise(
        engine: PrivacyEngine, series: Int, start: Int64, end: Int64, gaps: Set<Int64> = []
    ) throws -> [Int64: Double] {
        var counter = engine.makeCounter(series: "s\(series)", startingAt: start)
        var noise: [Int64: Double] = [:]
        var carried: Int64 = 0
        for step in start..<end {
            carried += increment(series, step)
            if gaps.contains(step) { continue }
            counter.add(carried)
            let (_, count) = try counter.releaseStep(step)
            noise[step] = count - Double(carried)
            carried = 0
        }
        return noise
    }

    @Test(arguments: [PrivacyConfiguration.Mechanism.blt, .sqrt])
    func restartsAnywhereNeverReuseNoise(mechanism: PrivacyConfiguration.Mechanism) throws {
        let engine = try Self.engine(mechanism, horizon: 64)
        let end: Int64 = 200  // three epoch boundaries (64, 128, 192)
        // Restart points on both sides of each epoch boundary and inside epochs.
        let restarts: [Int64] = [1, 5, 31, 63, 64, 65, 90, 127, 128, 150, 191, 198]
        for series in 0..<3 {
            let uninterrupted = try Self.stepNoise(engine: engine, series: series, start: 0, end: end)
            var seen: [Int64: Double] = uninterrupted
            for restart in restarts {
                let restarted = try Self.stepNoise(engine: engine, series: series, start: restart, end: end)
                for (step, value) in restarted {
                    // Same step, same noise (up to the mechanisms' fixed-point rounding, < 1e-6).
                    #expect(abs(value - uninterrupted[step]!) < 1e-6, "\(mechanism) restart \(restart) step \(step)")
                    seen[step] = value
                }
            }
            // Different steps never share a noise value.
            let values = seen.values.map { ($0 * 1e6).rounded() }
            #expect(Set(values).count == seen.count, "\(mechanism) series \(series): a noise value repeats")
        }
        // Nor do different series at the same step.
        let a = try Self.stepNoise(engine: engine, series: 0, start: 0, end: 64)
        let b = try Self.stepNoise(engine: engine, series: 1, start: 0, end: 64)
        #expect(a.keys.filter { abs(a[$0]! - b[$0]!) < 1e-9 }.isEmpty)
    }

    /// Skipped steps (no event of the group in a window) are released with zero increments and
    /// still leave every released step's noise unchanged.
    @Test func skippedStepsKeepEachStepsNoise() throws {
        let engine = try Self.engine(.blt, horizon: 64)
        let full = try Self.stepNoise(engine: engine, series: 5, start: 0, end: 100)
        let gapped = try Self.stepNoise(engine: engine, series: 5, start: 10, end: 100, gaps: [12, 13, 40, 63, 64, 65])
        for (step, value) in gapped { #expect(abs(value - full[step]!) < 1e-6, "step \(step)") }
    }

    /// The reported variance of one step's count is the exact σ² Σ r_k², checked against the
    /// empirical variance over 1,000 independent series, at a step early in an epoch and one late:
    /// 4.5 standard errors of a variance estimate from 1,000 normal draws (√(2/1000) ≈ 4.5 %).
    /// The prefix sums' bound (2σ_prefix)² would be several times too wide at the late step.
    @Test func stepCountVarianceIsExact() throws {
        let horizon: Int64 = 1 << 12
        let engine = try Self.engine(.blt, horizon: horizon)
        for step: Int64 in [3, 200] {
            var squares = 0.0
            let runs = 1000
            for run in 0..<runs {
                var counter = engine.makeCounter(series: "variance-\(run)", startingAt: step)
                let (_, count) = try counter.releaseStep(step)
                squares += count * count
            }
            let empirical = squares / Double(runs)
            let exact = engine.differenceVariance(positionInEpoch: step)!
            let z = (empirical / exact - 1) / (2.0 / Double(runs)).squareRoot()
            #expect(abs(z) < 4.5, "step \(step): empirical \(empirical) vs exact \(exact), z = \(z)")
            if step == 200 {
                let prefix = engine.theoreticalRMSE(afterSteps: step + 1)
                #expect(exact * 3 < (2 * prefix) * (2 * prefix))
            }
        }
    }
}
