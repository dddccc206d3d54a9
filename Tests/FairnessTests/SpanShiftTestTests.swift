import EngineStages
import Foundation
import Testing

@testable import Fairness

/// Windows of two groups released as differences of noisy prefix sums (each prefix with independent Gaussian noise
/// of `sigma`: a stand-in for the privacy layer's continual counters), as `PrivateRelease` hands them over.
private struct PrefixRelease {
    var noise: TestOnlyGaussianNoise
    let sigma: Double
    var previous: [String: Double] = [:]

    init(sigma: Double, seed: UInt64) {
        noise = TestOnlyGaussianNoise(sigma: 1, seed: seed)
        self.sigma = sigma
    }

    mutating func window(rates: [String: Double], events: Int) -> [String: NoisyGroupCounts] {
        var released: [String: NoisyGroupCounts] = [:]
        for (group, rate) in rates.sorted(by: { $0.key < $1.key }) {
            var tally = GroupTally.zero
            for _ in 0..<events { tally.add(prediction: noise.nextUniform() < rate, label: nil, score: nil) }
            var counts = NoisyGroupCounts(repeating: NoisyCount(value: 0, noiseVariance: 0))
            for field in CountField.allCases {
                let id = group + field.rawValue
                let current = sigma * noise.nextGaussian()
                let value = tally[field] + current - (previous[id] ?? 0)
                counts[field] = NoisyCount(
                    value: value, noiseVariance: 4 * sigma * sigma,
                    prefixDeviations: .init(start: previous[id] == nil ? 0 : sigma, end: sigma))
                previous[id] = current
            }
            released[group] = counts
        }
        return released
    }
}

@Test func runLengthsAreAGeometricGridEndingAtTheLongest() {
    #expect(SpanShiftTest.runLengths(upTo: 24) == [1, 2, 3, 4, 6, 8, 12, 16, 24])
    #expect(SpanShiftTest.runLengths(upTo: 20) == [1, 2, 3, 4, 6, 8, 12, 16, 20])
    #expect(SpanShiftTest.runLengths(upTo: 1) == [1])
    #expect(abs(SpanShiftTest.upperNormalQuantile(0.025) - 1.959964) < 1e-5)
}

/// A run's DP noise is the difference of its outer prefixes: it does not grow with the number of windows.
@Test func aRunsNoiseDoesNotGrowWithItsLength() {
    var run = GroupRun(NoisyGroupCounts(repeating: NoisyCount(value: 1, noiseVariance: 4, prefixDeviations: .init(start: 1, end: 1))))
    for _ in 0..<9 {
        run.append(GroupRun(NoisyGroupCounts(repeating: NoisyCount(value: 1, noiseVariance: 4, prefixDeviations: .init(start: 1, end: 1)))))
    }
    #expect(run[.total].value == 10 && run[.total].noiseVariance == 4)
    var independent = GroupRun(NoisyGroupCounts(repeating: NoisyCount(value: 1, noiseVariance: 4)))
    independent.append(GroupRun(NoisyGroupCounts(repeating: NoisyCount(value: 1, noiseVariance: 4))))
    #expect(independent[.total].noiseVariance == 8)
}

/// Quiet over 2,000 stationary windows (per-window count noise s.d. bound 8 on 200 events per group); a 0.2 shift of one group is
/// caught within a few windows.
@Test func spanTestIsQuietAtStationarityAndCatchesAShift() {
    let rates = ["a": 0.3, "b": 0.3, "c": 0.3]
    var release = PrefixRelease(sigma: 4, seed: 21)
    var test = SpanShiftTest(
        metric: .demographicParityDifference, shift: 0.1, falseAlarmRate: 1e-4, target: nil, referenceWindows: 36,
        maxWindows: 24, minGroupSize: 20, minGroupZ: 1.645)
    for _ in 0..<36 { test.learn(release.window(rates: rates, events: 200)) }
    #expect(test.isReady && test.watchedPairs == 6)
    var alarms = 0
    for _ in 0..<2000 {
        if let finding = test.evaluate(release.window(rates: rates, events: 200)), finding.statistic > test.threshold {
            alarms += 1
            test.restart()
        }
    }
    #expect(alarms == 0)
    var delays: [Int] = []
    var shifted = rates
    shifted["b"] = 0.5
    for _ in 0..<10 {
        test.restart()
        var delay = 99
        for window in 1...30 {
            if let finding = test.evaluate(release.window(rates: shifted, events: 200)), finding.statistic > test.threshold {
                #expect(finding.movedGroup == "b")
                delay = window
                break
            }
        }
        delays.append(delay)
    }
    #expect(delays.filter { $0 <= 6 }.count >= 9, "delays \(delays)")
}

/// Counts of one window whose `runNoise` gives the run of k windows ending at `step` the variance `100·k` (the
/// bound from the prefix deviations, `(10 + 10)² = 400`, is wider for short runs).
private func windowWithRunNoise(
    step: Int64, lengths: [Int] = [1, 2, 3, 4], variance: (Int) -> Double = { 100 * Double($0) }
) -> NoisyGroupCounts {
    let noise = NoisyCount.RunNoise(step: step, lengths: lengths, variances: lengths.map(variance))
    let count = NoisyCount(value: 10, noiseVariance: 100, prefixDeviations: .init(start: 10, end: 10), runNoise: noise)
    return NoisyGroupCounts(repeating: count)
}

/// A run of consecutive windows takes its noise variance from its last window's `runNoise`; a run with a missing
/// step, or of a length the privacy layer did not compute, falls back to the bound.
@Test func aRunUsesTheExactVarianceOnlyWhenItsWindowsAreConsecutive() {
    var run = GroupRun(windowWithRunNoise(step: 7))
    #expect(run[.total].noiseVariance == 100)
    run.append(GroupRun(windowWithRunNoise(step: 8)))
    run.append(GroupRun(windowWithRunNoise(step: 9)))
    #expect(run[.total].noiseVariance == 300 && run[.total].value == 30)
    var gapped = GroupRun(windowWithRunNoise(step: 7))
    gapped.append(GroupRun(windowWithRunNoise(step: 9)))
    #expect(gapped[.total].noiseVariance == 200)  // the sum of the windows' variances, under the bound 400
    var long = GroupRun(windowWithRunNoise(step: 1))
    for step: Int64 in 2...5 { long.append(GroupRun(windowWithRunNoise(step: step))) }
    #expect(long[.total].noiseVariance == 400)  // 5 windows: not computed, the bound
    // A run ending with a window that lost its run noise (no longer the latest) uses the bound too.
    var stale = GroupRun(windowWithRunNoise(step: 1))
    stale.append(GroupRun(windowWithRunNoise(step: 2)).withoutRunNoise)
    #expect(stale[.total].noiseVariance == 200)
}

/// Run counts kept before runs carried steps (snapshots of an older version) still decode, and use the bound.
@Test func oldRunSnapshotsDecode() throws {
    let old = #"{"counts":[{"value":3,"varianceSum":8,"start":1,"end":1}]}"#
    let run = try JSONDecoder().decode(GroupRun.self, from: Data(old.utf8))
    #expect(run.counts[0].noiseVariance == 4 && run.counts[0].windows == nil)
    let count = try JSONDecoder().decode(NoisyCount.self, from: Data(#"{"value":3,"noise_variance":2}"#.utf8))
    #expect(count.runNoise == nil)
}

/// The test's runs use the run noise of the latest window: with exact run variances of 10 the statistic is larger
/// than with the bound for the same counts.
@Test func spanTestUsesTheLatestWindowsRunNoise() {
    func statistic(exact: Bool) -> Double {
        var test = SpanShiftTest(
            metric: .demographicParityDifference, shift: 0.1, falseAlarmRate: 1e-4, target: 0, referenceWindows: 1,
            maxWindows: 4)
        var result = 0.0
        for step: Int64 in 0..<4 {
            func group(_ positives: Double) -> NoisyGroupCounts {
                var counts = exact ? windowWithRunNoise(step: step, variance: { _ in 10 }) : NoisyGroupCounts(
                    repeating: NoisyCount(value: 0, noiseVariance: 100, prefixDeviations: .init(start: 10, end: 10)))
                for field in CountField.allCases { counts[field].value = 200 }
                counts[.predictedPositive].value = positives
                return counts
            }
            result = test.evaluate(["a": group(80), "b": group(60)])?.statistic ?? 0
        }
        return result
    }
    #expect(statistic(exact: true) > statistic(exact: false))
}
