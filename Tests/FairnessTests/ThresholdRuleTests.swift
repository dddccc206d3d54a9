import EngineStages
import Foundation
import Testing

@testable import Fairness

/// One window of two groups, each with `events` records whose predictions are drawn with the group's selection rate,
/// released with TEST-ONLY Gaussian noise of `sigma` per count (`sigma` 0: exact counts).
private func window(
    rates: [String: Double], events: Int, sigma: Double, noise: inout TestOnlyGaussianNoise, index: Int64 = 0
) -> (WindowResult, [String: [String: NoisyGroupCounts]]) {
    var tallies: [String: GroupTally] = [:]
    for (group, rate) in rates.sorted(by: { $0.key < $1.key }) {
        var tally = GroupTally.zero
        for _ in 0..<events { tally.add(prediction: noise.nextUniform() < rate, label: nil, score: nil) }
        tallies[group] = tally
    }
    let result = WindowResult(
        index: index, bounds: WindowBounds(start: index * 600_000, end: (index + 1) * 600_000), tallies: ["g": tallies])
    guard sigma > 0 else { return (result, result.exactCounts) }
    let released = result.exactCounts.mapValues { groups in
        groups.mapValues { counts in
            var noisy = counts
            for field in CountField.allCases {
                noisy[field] = NoisyCount(
                    value: counts[field].value + sigma * noise.nextGaussian(), noiseVariance: sigma * sigma)
            }
            return noisy
        }
    }
    return (result, released)
}

private func config(fourFifths: FourFifthsSpec = FourFifthsSpec(), limits: ParityLimitsSpec = ParityLimitsSpec())
    -> FairnessConfig
{
    FairnessConfig(
        mode: .private, sensitive: [SensitiveAttribute(["g"])], prediction: "p", minGroupSize: 20,
        drift: DriftSpec(metrics: []), fourFifths: fourFifths, parityLimits: limits,
        alerts: AlertSpec(pipeline: "t", resolveAfter: 2))
}

/// The share of windows in which a fresh monitor's rule fires.
private func fireRate(
    config: FairnessConfig, rule: AlertEvent.Rule, rates: [String: Double], events: Int, sigma: Double, trials: Int,
    seed: UInt64
) -> Double {
    var noise = TestOnlyGaussianNoise(sigma: 1, seed: seed)
    var fired = 0
    for _ in 0..<trials {
        var monitor = FairnessMonitor(config: config)
        let (result, counts) = window(rates: rates, events: events, sigma: sigma, noise: &noise)
        let alerts = monitor.evaluate(window: result, noisyCounts: counts).alerts
        if alerts.contains(where: { $0.rule == rule && $0.status == .firing }) { fired += 1 }
    }
    return Double(fired) / Double(trials)
}

/// The property the rules promise: with the true metric exactly at the threshold, a rule fires with its stated error
/// rate (two groups: one pair), sampling and DP noise included. 4,000 trials at error rate 0.05: 200 expected, the
/// simulation's standard deviation is 13.8 fires, the band below is ± 4 of them.
@Test func fourFifthsFiresAtItsErrorRateWhenTheRatioIsExactlyAtTheThreshold() {
    let rule = config(fourFifths: FourFifthsSpec(threshold: 0.8, errorRate: 0.05))
    let rate = fireRate(
        config: rule, rule: .fourFifths, rates: ["a": 0.4, "b": 0.5], events: 2000, sigma: 10, trials: 4000, seed: 11)
    #expect(abs(rate - 0.05) < 4 * (0.05 * 0.95 / 4000).squareRoot(), "fired in \(rate) of windows")
}

@Test func parityLimitFiresAtItsErrorRateWhenTheDifferenceIsExactlyAtTheLimit() {
    let rule = config(
        fourFifths: FourFifthsSpec(enabled: false),
        limits: ParityLimitsSpec(limits: [.demographicParityDifference: 0.2], errorRate: 0.05))
    let rate = fireRate(
        config: rule, rule: .parityLimit, rates: ["a": 0.5, "b": 0.3], events: 2000, sigma: 10, trials: 4000, seed: 12)
    #expect(abs(rate - 0.05) < 4 * (0.05 * 0.95 / 4000).squareRoot(), "fired in \(rate) of windows")
}

/// Far inside the threshold the rule stays quiet; clearly beyond it fires in (nearly) every window.
@Test func thresholdRulesReadTheIntervalNotThePoint() {
    let rule = config(fourFifths: FourFifthsSpec(threshold: 0.8, errorRate: 1e-3))
    // Equal rates, four groups, per-window noise as at the chats topology's old volume: the point ratio min/max is
    // often under 0.8, the interval never lies under it.
    var noise = TestOnlyGaussianNoise(sigma: 1, seed: 5)
    var monitor = FairnessMonitor(config: rule)
    var pointUnder = 0
    for index in 0..<300 {
        let (result, counts) = window(
            rates: ["n": 0.17, "s": 0.17, "e": 0.17, "w": 0.17], events: 100, sigma: 6, noise: &noise,
            index: Int64(index))
        let evaluation = monitor.evaluate(window: result, noisyCounts: counts)
        if let ratio = evaluation.reports.first?.report.disparities[.demographicParityRatio]?.value.estimate?.value,
            ratio < 0.8
        {
            pointUnder += 1
        }
        #expect(evaluation.alerts.isEmpty)
    }
    #expect(pointUnder > 150)
    let beyond = fireRate(
        config: rule, rule: .fourFifths, rates: ["a": 0.3, "b": 0.5], events: 5000, sigma: 10, trials: 200, seed: 3)
    #expect(beyond > 0.99)
}

/// With huge exact counts a ratio of exactly the threshold does not fire and one clearly under it does; the alert
/// names the group and carries the interval; it resolves once the interval no longer lies beyond the threshold.
@Test func fourFifthsAtExactCountsFiresBeyondAndResolves() throws {
    var rule = config(fourFifths: FourFifthsSpec(threshold: 0.8, errorRate: 1e-3))
    rule.mode = .raw
    rule.alerts.runbookURL = "https://runbooks.example/fairness"
    var monitor = FairnessMonitor(config: rule)
    func exact(_ a: Double, _ b: Double, index: Int64) -> (WindowResult, [String: [String: NoisyGroupCounts]]) {
        var first = GroupTally.zero
        first[.total] = 1_000_000
        first[.predictedPositive] = a * 1_000_000
        var second = GroupTally.zero
        second[.total] = 1_000_000
        second[.predictedPositive] = b * 1_000_000
        let result = WindowResult(
            index: index, bounds: WindowBounds(start: index * 600_000, end: (index + 1) * 600_000),
            tallies: ["g": ["a": first, "b": second]])
        return (result, result.exactCounts)
    }
    let (atThreshold, atCounts) = exact(0.4, 0.5, index: 0)
    #expect(monitor.evaluate(window: atThreshold, noisyCounts: atCounts).alerts.isEmpty)
    let (under, underCounts) = exact(0.38, 0.5, index: 1)
    let fired = monitor.evaluate(window: under, noisyCounts: underCounts).alerts
    let alert = try #require(fired.first)
    #expect(fired.count == 1 && alert.rule == .fourFifths && alert.status == .firing)
    #expect(alert.group == "a" && alert.attribute == "g" && alert.metric == .demographicParityRatio)
    let interval = try #require(alert.interval)
    #expect(interval.high < 0.8 && interval.low < interval.value && abs(interval.value - 0.76) < 1e-9)
    #expect(alert.runbookURL == "https://runbooks.example/fairness")
    var resolved: [AlertEvent] = []
    for index in Int64(2)...4 {
        let (back, backCounts) = exact(0.45, 0.5, index: index)
        resolved += monitor.evaluate(window: back, noisyCounts: backCounts).alerts
    }
    #expect(resolved.map(\.status) == [.resolved])
}

/// The `min_group_size` guard reads the noisy count's lower bound: a group whose noisy size is just over the minimum
/// but uncertain takes no part.
@Test func minimumGroupSizeUsesTheCountsUncertainty() {
    let counts: NoisyGroupCounts = {
        var c = NoisyGroupCounts(repeating: NoisyCount(value: 0, noiseVariance: 100))
        c[.total] = NoisyCount(value: 25, noiseVariance: 100)
        c[.predictedPositive] = NoisyCount(value: 5, noiseVariance: 100)
        return c
    }()
    let point = GroupMetrics(
        counts: counts, hasLabels: false, hasScores: false, options: MetricOptions(minGroupSize: 20))
    let guarded = GroupMetrics(
        counts: counts, hasLabels: false, hasScores: false, options: MetricOptions(minGroupSize: 20, minGroupSizeZ: 1.645))
    #expect(point.sufficient && !guarded.sufficient)
}
