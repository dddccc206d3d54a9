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

@Test func runLengthsAreEveryLengthToEightThenAGeometricGridEndingAtTheLongest() {
    #expect(SpanShiftTest.runLengths(upTo: 24) == [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24])
    #expect(SpanShiftTest.runLengths(upTo: 20) == [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20])
    #expect(SpanShiftTest.runLengths(upTo: 50) == [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 48, 50])
    #expect(SpanShiftTest.runLengths(upTo: 5) == [1, 2, 3, 4, 5])
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

/// One window of exact counts: `events` per group, `rate · events` predicted positive, a small noise variance.
private func exactWindow(_ rates: [String: Double], events: Double = 1000) -> [String: NoisyGroupCounts] {
    rates.mapValues { rate in
        var counts = NoisyGroupCounts(repeating: NoisyCount(value: events, noiseVariance: 1))
        counts[.predictedPositive].value = rate * events
        return counts
    }
}

private func learned(
    _ rates: [String: Double], metric: FairnessMetric = .demographicParityDifference
) -> SpanShiftTest {
    var test = SpanShiftTest(
        metric: metric, shift: 0.1, falseAlarmRate: 1e-4, target: nil, referenceWindows: 4, maxWindows: 8,
        minGroupSize: 20, minGroupZ: 1.645)
    for _ in 0..<4 { test.learn(exactWindow(rates)) }
    return test
}

/// Each group is tested against the mean of the others in the directions in which its move alone by the shift would
/// widen the largest gap: none for two groups (the pair is that contrast) or for a ratio metric.
@Test func contrastsAreChosenInTheDirectionsThatWidenTheGap() {
    #expect(learned(["a": 0.3, "b": 0.3, "c": 0.3]).watchedContrasts == 6)
    let spread = learned(["a": 0.1, "b": 0.3, "c": 0.5])
    #expect(spread.watchedContrasts == 2 && spread.watchedPairs == 6)
    #expect(learned(["a": 0.3, "b": 0.3]).watchedContrasts == 0)
    #expect(learned(["a": 0.3, "b": 0.3, "c": 0.3], metric: .demographicParityRatio).watchedContrasts == 0)
    // The threshold counts the contrasts among the tests.
    #expect(learned(["a": 0.3, "b": 0.3, "c": 0.3]).threshold == spread.threshold(pairs: 12))
    // The lowest group falling: the rest minus the group rose by the shift.
    var test = spread
    let finding = test.evaluate(exactWindow(["a": 0.0, "b": 0.3, "c": 0.5]))
    #expect(finding?.comparison == .restMinusGroup && finding?.movedGroup == "a" && finding?.others == ["b", "c"])
    #expect(abs((finding?.estimate.value ?? 0) - 0.4) < 1e-9 && abs((finding?.baseline ?? 0) - 0.3) < 1e-9)
}

/// One of seven groups rising by 0.1: the contrast of that group against the others alarms at a volume where no pair
/// can (a pair's estimate has twice a group's variance, the contrast 7/6 of it, for the same rise).
@Test func aContrastAlarmsWhereNoPairCan() {
    let groups = ["a", "b", "c", "d", "e", "f", "g"]
    let rates = Dictionary(uniqueKeysWithValues: groups.map { ($0, 0.3) })
    var shifted = rates
    shifted["d"] = 0.4
    func variance(_ rate: Double, _ events: Double) -> Double {
        rate * (1 - rate) / events + (1 + rate * rate) / (events * events)
    }
    var alarmed: Double?
    for events in stride(from: 100.0, through: 3000, by: 20) {
        var test = learned(rates)
        guard let finding = test.evaluate(exactWindow(shifted, events: events)), finding.statistic > test.threshold
        else { continue }
        #expect(finding.comparison == .groupMinusRest && finding.movedGroup == "d" && finding.others.count == 6)
        // The best pair, d against any other group: its log-likelihood ratio for the 0.1 rise it shows.
        let reference = variance(0.3, 4000)
        let pair = variance(0.4, events) + variance(0.3, events) + 2 * reference
        #expect(0.1 / pair * (0.1 - 0.05) < test.threshold, "a pair alarms too at \(events) events")
        alarmed = events
        break
    }
    #expect(alarmed != nil)
}

/// The variance the contrasts carry is that of their values over windows of sampled, noisy counts (seven groups of 300
/// events, prefix noise s.d. 1).
@Test func aContrastsVarianceMatchesItsSpread() {
    let groups = ["a", "b", "c", "d", "e", "f", "g"]
    let rates = Dictionary(uniqueKeysWithValues: groups.map { ($0, 0.3) })
    var release = PrefixRelease(sigma: 1, seed: 9)
    var test = learned(rates)
    var values: [Double] = []
    var variances: [Double] = []
    for _ in 0..<3000 {
        let window = release.window(rates: rates, events: 300).mapValues { GroupRun($0) }
        let contrasts = test.contrastEstimates(of: test.rates(of: window, windows: 1))
        guard let contrast = contrasts["selection_rate\u{1F}a\u{1F}+"] else { continue }
        values.append(contrast.value)
        variances.append(contrast.variance)
    }
    _ = test.evaluate(exactWindow(rates))
    #expect(values.count == 3000)
    let mean = values.reduce(0, +) / Double(values.count)
    let spread = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
    let model = variances.reduce(0, +) / Double(variances.count)
    #expect(abs(spread / model - 1) < 0.1, "spread \(spread), model \(model)")
}

/// Hopping windows of two steps: one window counts each event once, a run of k consecutive windows counts the inner
/// steps twice (`Σc²/Σc = 2 − 1/k`); tumbling windows count every event once. A run of that many windows of events
/// drawn by step bears the factor out.
@Test func hoppingRunsInflateTheSamplingVarianceByTheirStepMultiplicity() {
    #expect(SpanShiftTest.samplingFactor(overlap: 1, windows: 6) == 1)
    for k in [1, 2, 3, 6, 24] {
        #expect(abs(SpanShiftTest.samplingFactor(overlap: 2, windows: k) - (2 - 1 / Double(k))) < 1e-12)
    }
    // Three steps per window, two windows: steps counted 1, 2, 2, 1 → (1 + 4 + 4 + 1) / 6.
    #expect(abs(SpanShiftTest.samplingFactor(overlap: 3, windows: 2) - 10.0 / 6) < 1e-12)
    #expect(SpanShiftTest.samplingFactor(overlap: 3, windows: 1) == 1)
    // Simulated: 6 windows of two steps, 400 events per step at rate 0.3; the variance of the run's rate.
    var random = TestOnlyGaussianNoise(sigma: 1, seed: 3)
    var rates: [Double] = []
    for _ in 0..<4000 {
        let steps = (0..<7).map { _ in Double((0..<400).filter { _ in random.nextUniform() < 0.3 }.count) }
        let positives = (0..<6).map { steps[$0] + steps[$0 + 1] }.reduce(0, +)
        rates.append(positives / (6 * 800))
    }
    let mean = rates.reduce(0, +) / Double(rates.count)
    let variance = rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rates.count - 1)
    let model = SpanShiftTest.samplingFactor(overlap: 2, windows: 6) * 0.21 / (6 * 800)
    #expect(abs(variance / model - 1) < 0.08, "simulated \(variance), model \(model)")
}

/// A state saved before contrasts were tested decodes and derives them from its reference period.
@Test func aStateWithoutContrastsDerivesThem() throws {
    let test = learned(["a": 0.3, "b": 0.3, "c": 0.3])
    var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(test)) as! [String: Any]
    #expect(object["contrastBaselines"] != nil)
    object["contrastBaselines"] = nil
    object["contrastGroups"] = nil
    var old = try JSONDecoder().decode(SpanShiftTest.self, from: JSONSerialization.data(withJSONObject: object))
    #expect(old.watchedContrasts == 0)
    _ = old.evaluate(exactWindow(["a": 0.3, "b": 0.3, "c": 0.3]))
    #expect(old.watchedContrasts == 6)
}
