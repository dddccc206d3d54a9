import Foundation
import EngineStages
import Testing

@testable import Fairness

/// Pair values of two groups whose signed gap `a − b` is `gap` plus Gaussian noise of variance `variance`.
private func twoGroups(_ gap: Double, variance: Double, noise: inout TestOnlyGaussianNoise) -> [String: Estimate] {
    let x = gap + variance.squareRoot() * noise.nextGaussian()
    return [
        "selection_rate\u{1F}a\u{1F}b": Estimate(value: x, samplingVariance: variance),
        "selection_rate\u{1F}b\u{1F}a": Estimate(value: -x, samplingVariance: variance),
    ]
}

@Test func shiftThresholdMeetsSiegmundsAverageRunLengthPerPair() {
    for rate in [1e-3, 1e-6] {
        let h = ShiftTest.threshold(pairs: [(0.1, 0.01, 0), (0.3, 0.01, 0)], falseAlarmRate: rate)
        // The pair with the smaller shift sets H: its ARL is pairs / rate.
        let arl = ShiftTest.logAverageRunLength(threshold: h, delta: 1)
        #expect(abs(arl - log(2 / rate)) < 1e-6)
        // Siegmund's ARL stays above the martingale bound e^H.
        #expect(arl > h)
    }
    let known = ShiftTest.threshold(pairs: [(0.1, 0.01, 0)], falseAlarmRate: 1e-6)
    let learned = ShiftTest.threshold(pairs: [(0.1, 0.01, 0.01 / 500)], falseAlarmRate: 1e-6)
    #expect(learned > known)
    // A baseline too uncertain for the rate falls back to the uncorrected threshold.
    #expect(ShiftTest.threshold(pairs: [(0.1, 0.01, 0.01)], falseAlarmRate: 1e-6) == known)
}

@Test func shiftTestFalseAlarmRateIsAtMostConfiguredOnGaussianWindows() {
    // Each stream learns its own baseline, so the rate includes the baseline's error.
    var noise = TestOnlyGaussianNoise(sigma: 1, seed: 11)
    var alarms = 0
    var windows = 0
    for _ in 0..<40 {
        var test = ShiftTest(
            metric: .demographicParityDifference, shift: 0.1, falseAlarmRate: 1e-3, target: nil,
            referenceWindows: 400)
        for _ in 0..<400 { test.learn(twoGroups(0.05, variance: 0.01, noise: &noise)) }
        #expect(test.isReady && test.watchedPairs == 2 && abs(test.level - 0.05) < 0.02)
        for _ in 0..<10_000 where test.add(test.step(twoGroups(0.05, variance: 0.01, noise: &noise))) {
            alarms += 1
        }
        windows += 10_000
    }
    // Siegmund's approximation with the baseline correction gave 0.96e-3 in a 20-million-window simulation; the
    // margin covers the spread of 40 baselines.
    #expect(Double(alarms) / Double(windows) < 1.4e-3)
    #expect(alarms > 0)
}

@Test func shiftTestDetectsARiseAndAReversalOfTheGap() {
    var noise = TestOnlyGaussianNoise(sigma: 1, seed: 5)
    for shifted in [0.15, -0.15] {
        var test = ShiftTest(
            metric: .demographicParityDifference, shift: 0.1, falseAlarmRate: 1e-6, target: nil,
            referenceWindows: 400)
        for _ in 0..<400 { test.learn(twoGroups(0.05, variance: 0.002, noise: &noise)) }
        var delay = 0
        while delay < 100 {
            delay += 1
            if test.add(test.step(twoGroups(shifted, variance: 0.002, noise: &noise))) { break }
        }
        // A 0.10 rise of a |gap| of 0.05 with window sd 0.045: the expected delay is about 6 windows.
        #expect(delay < 20)
        #expect(test.statistic == 0)
    }
}

@Test func shiftTestReadsEveryOrderedPairOfSufficientGroups() {
    var counts: [String: NoisyGroupCounts] = [:]
    for (group, total, positive) in [("a", 100.0, 60.0), ("b", 100.0, 40.0), ("c", 10.0, 1.0)] {
        var tally = GroupTally.zero
        tally[.total] = total
        tally[.predictedPositive] = positive
        counts[group] = tally.exact
    }
    let report = FairnessReport(counts: counts, hasLabels: false, options: MetricOptions(minGroupSize: 30))
    let differences = ShiftTest.pairs(of: report, metric: .demographicParityDifference)
    #expect(differences.count == 2)
    #expect(abs((differences["selection_rate\u{1F}a\u{1F}b"]?.value ?? 0) - 0.2) < 1e-12)
    let ratios = ShiftTest.pairs(of: report, metric: .demographicParityRatio)
    #expect(abs((ratios["selection_rate\u{1F}a\u{1F}b"]?.value ?? 0) - 40.0 / 60.0) < 1e-12)
}

@Test func driftShiftDecodesAndMustBePositive() throws {
    let json = #"{"sensitive": ["g"], "prediction": "p", "drift": {"shift": 0.1, "false_alarm_rate": 1e-7}}"#
    let config = try JSONDecoder().decode(FairnessConfig.self, from: Data(json.utf8))
    #expect(config.drift.shift == 0.1 && config.drift.falseAlarmRate == 1e-7)
    let bad = #"{"sensitive": ["g"], "prediction": "p", "drift": {"shift": -0.1}}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(FairnessConfig.self, from: Data(bad.utf8)) }
}

@Test func shiftModeReportsItsStatisticAndBaselineInTheDriftStatus() throws {
    var stream = Stream(shift: 0.1)
    _ = stream.run(windows: 2, a: 0.5, b: 0.5)
    // While learning, the threshold is infinite and the baseline unknown: the snapshot is still plain JSON.
    stream.monitor = try FairnessMonitor(snapshot: stream.monitor.snapshot())
    _ = stream.run(windows: 8, a: 0.5, b: 0.5)
    var last: DriftStatus?
    // One window with selection rates 0.75 and 0.25: a gap of 0.5 against a baseline near 0.
    for step in 0..<100 {
        _ = stream.monitor.observe(attributes: ["g": "a"], prediction: step % 4 != 0, eventTime: stream.time)
        _ = stream.monitor.observe(attributes: ["g": "b"], prediction: step % 4 == 0, eventTime: stream.time + 1)
        stream.time += 1
    }
    var firstFiring: DriftStatus?
    for window in stream.monitor.advance() {
        last = stream.monitor.evaluate(window: window, noisyCounts: window.exactCounts).drift.first
        if firstFiring == nil, last?.phase == .firing { firstFiring = last }
    }
    let status = try #require(last)
    #expect(status.phase == .firing || status.statistic > 0)
    // The window that fires states the statistic that crossed the threshold (the test restarts after).
    if let firstFiring { #expect(firstFiring.statistic > firstFiring.threshold) }
    #expect(status.baseline != nil && status.threshold.isFinite && (status.gap ?? 0) > 3)
}
