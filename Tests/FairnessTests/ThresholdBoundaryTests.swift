import Testing

@testable import Fairness

/// The four-fifths rule at its boundary, for each ratio metric it can watch (demographic parity,
/// equalized odds, equal opportunity). Counts are exact (raw mode, no noise) and very large
/// (8·10⁸ per group, standard error of a ratio ≈ 5·10⁻⁵), so the expectations hold whether the rule
/// compares the point value or asks a confidence interval to lie beyond the threshold: a ratio of
/// exactly 0.8 is not under 0.8, and 0.784 is hundreds of standard errors under it.
@Suite struct FourFifthsBoundary {
    static let ratioMetrics: [FairnessMetric] = [.demographicParityRatio, .equalizedOddsRatio, .equalOpportunityRatio]
    static let n = 100_000_000.0

    /// Group "a" has rate 5/8 for selection, TPR and FPR alike; group "b" has `rateB` for all three,
    /// so every ratio metric equals rateB / 0.625.
    static func window(rateB: Double) -> WindowResult {
        func tally(rate: Double) -> GroupTally {
            var counts = GroupTally.zero
            let half = 4 * n
            counts[.total] = 2 * half
            counts[.labelPositive] = half
            counts[.labelNegative] = half
            counts[.truePositive] = (rate * half).rounded()
            counts[.falsePositive] = (rate * half).rounded()
            counts[.predictedPositive] = 2 * (rate * half).rounded()
            return counts
        }
        return WindowResult(
            index: 0, bounds: WindowBounds(start: 0, end: 60_000),
            tallies: ["g": ["a": tally(rate: 0.625), "b": tally(rate: rateB)]])
    }

    static func monitor(_ metric: FairnessMetric) -> FairnessMonitor {
        FairnessMonitor(
            config: FairnessConfig(
                mode: .raw, sensitive: [SensitiveAttribute(["g"])], prediction: "p", label: "y", minGroupSize: 10,
                drift: DriftSpec(metrics: []), fourFifths: FourFifthsSpec(threshold: 0.8, metrics: [metric]),
                alerts: AlertSpec(pipeline: "loans", resolveAfter: 1)))
    }

    static func fourFifthsAlerts(_ metric: FairnessMetric, rateB: Double) -> (value: Double?, alerts: [AlertEvent]) {
        var monitor = monitor(metric)
        let window = window(rateB: rateB)
        let evaluation = monitor.evaluate(window: window, noisyCounts: window.exactCounts)
        let report = evaluation.reports.first { $0.0 == "g" }?.1
        return (report?.disparities[metric]?.value.estimate?.value, evaluation.alerts.filter { $0.rule == .fourFifths })
    }

    @Test(arguments: ratioMetrics)
    func aRatioOfExactlyPointEightDoesNotFire(metric: FairnessMetric) throws {
        let (value, alerts) = Self.fourFifthsAlerts(metric, rateB: 0.5)
        #expect(value == 0.8, "the test needs the metric at exactly the threshold")
        #expect(alerts.isEmpty, "\(metric) at exactly 0.8 fired: \(alerts.map(\.summary))")
    }

    @Test(arguments: ratioMetrics)
    func aRatioClearlyUnderPointEightFires(metric: FairnessMetric) throws {
        let (value, alerts) = Self.fourFifthsAlerts(metric, rateB: 0.49)
        #expect(abs(try #require(value) - 0.784) < 1e-9)
        #expect(alerts.count == 1)
        #expect(alerts.first?.status == .firing && alerts.first?.metric == metric && alerts.first?.threshold == 0.8)
        #expect(alerts.first?.minGroup == "b" && alerts.first?.maxGroup == "a")
    }

    @Test(arguments: ratioMetrics)
    func aRatioClearlyAbovePointEightDoesNotFire(metric: FairnessMetric) throws {
        let (value, alerts) = Self.fourFifthsAlerts(metric, rateB: 0.51)
        #expect(abs(try #require(value) - 0.816) < 1e-9)
        #expect(alerts.isEmpty)
    }
}
