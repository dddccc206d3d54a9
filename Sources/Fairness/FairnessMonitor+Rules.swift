import Foundation

/// The alert rules a closed window's metrics go through once `watch` has its series: the four-fifths
/// rule and the parity limits (confidence intervals per pair of groups), the likelihood-ratio test
/// over runs of windows, and the summaries and severities of the alerts they raise.
extension FairnessMonitor {
    /// The four-fifths rule and the parity-difference limits of one metric: a rule fires when some pair of groups'
    /// confidence interval lies entirely beyond its threshold (a ratio pair's upper bound under it, a difference pair's
    /// lower bound over it), at the rule's error rate split over the unordered pairs (a point exactly at the
    /// threshold never fires), and it resolves after `resolve_after` windows in which no pair's interval lies beyond
    /// threshold ∓ `resolve_margin`.
    func thresholdRules(
        metric: FairnessMetric, attribute: String, disparity: Disparity, report: FairnessReport,
        noisyCounts: [String: NoisyGroupCounts], window: WindowBounds, state: inout SeriesState
    ) -> [AlertEvent] {
        let rule: AlertEvent.Rule
        let threshold: Double
        let errorRate: Double
        let counts = noisyCounts
        if metric.isRatio, config.fourFifths.enabled, config.fourFifths.metrics.contains(metric) {
            (rule, threshold, errorRate) = (.fourFifths, config.fourFifths.threshold, config.fourFifths.errorRate)
        } else if !metric.isRatio, let limit = config.parityLimits.limits[metric] {
            (rule, threshold, errorRate) = (.parityLimit, limit, config.parityLimits.errorRate)
        } else {
            return []
        }
        let verdict = Self.thresholdVerdict(
            rates: Self.ruleRates(report: report, counts: counts, metric: metric, minDenominator: max(1, config.minGroupSize / 4)),
            isRatio: metric.isRatio, threshold: threshold, errorRate: errorRate, margin: config.alerts.resolveMargin)
        var tracker = rule == .fourFifths ? state.fourFifths : state.parityLimit
        defer {
            if rule == .fourFifths { state.fourFifths = tracker } else { state.parityLimit = tracker }
        }
        let estimate = disparity.value.estimate
        if let beyond = verdict.beyond {
            let (first, second) = (beyond.first, beyond.second)
            let interval = beyond.interval
            let group = metric.isRatio ? second : first
            let comparison = metric.isRatio ? "under the four-fifths threshold" : "over its limit"
            let opposite = metric.isRatio ? first : second
            let head = "[\(config.mode.rawValue)] \(metric.rawValue) over \(attribute): \(group) vs \(opposite) "
            let value = "= \(Self.format(interval.value)), interval [\(Self.format(interval.low)), "
            let bounds = "\(Self.format(interval.high))] lies \(comparison) \(Self.format(threshold)) "
            let rate = "(error rate \(Self.format(errorRate)) per window) in window "
            let when = "\(rfc3339(milliseconds: window.start))–\(rfc3339(milliseconds: window.end))"
            let summary: String = head + value + bounds + rate + when
            let magnitude = metric.isRatio ? threshold - interval.high : interval.low - threshold
            var candidate = AlertEvent(
                status: .firing, rule: rule,
                dedupKey: AlertEvent.dedupKey(
                    pipeline: config.alerts.pipeline, rule: rule, attribute: attribute, metric: metric),
                pipeline: config.alerts.pipeline, metric: metric, attribute: attribute, severity: severity(magnitude),
                summary: summary, runbookURL: config.alerts.runbookURL, window: window,
                value: estimate?.value ?? interval.value, standardError: estimate?.standardError ?? .nan, baseline: nil,
                threshold: threshold, minGroup: disparity.minGroup, maxGroup: disparity.maxGroup,
                groupValues: Self.groupValues(report, metric: metric, component: disparity.component),
                startsAt: window.end, endsAt: nil, mode: config.mode)
            candidate.group = group
            candidate.interval = interval
            return tracker.fire(candidate).map { [$0] } ?? []
        }
        guard
            let resolved = tracker.observe(
                clear: verdict.clear, window: window, value: estimate?.value ?? .nan,
                standardError: estimate?.standardError ?? .nan, resolveAfter: config.alerts.resolveAfter)
        else { return [] }
        return [resolved]
    }

    /// One group's rate as a threshold rule reads it: the noisy numerator and denominator and the rate's DP noise
    /// variance (delta method).
    struct RuleRate {
        var group: String
        var component: String
        var numerator: Double
        var denominator: Double
        var noiseVariance: Double
        var rate: Double { min(1, max(0, numerator / denominator)) }
    }

    /// The rates of the groups taking part in the metric (sufficient in the report, denominator at least
    /// `minDenominator`), per component.
    static func ruleRates(
        report: FairnessReport, counts: [String: NoisyGroupCounts], metric: FairnessMetric, minDenominator: Double
    ) -> [RuleRate] {
        var rates: [RuleRate] = []
        for (key, metrics) in report.groups where metrics.sufficient {
            guard let group = counts[key] else { continue }
            for component in SpanShiftTest.components(metric) {
                let numerator = group[component.numerator]
                let denominator = group[component.denominator]
                guard denominator.value >= max(1, minDenominator), numerator.value.isFinite else { continue }
                let p = min(1, max(0, numerator.value / denominator.value))
                let noise =
                    (numerator.noiseVariance + p * p * denominator.noiseVariance) / (denominator.value * denominator.value)
                rates.append(
                    RuleRate(
                        group: key, component: component.name, numerator: numerator.value,
                        denominator: denominator.value, noiseVariance: noise))
            }
        }
        return rates
    }

    /// What a threshold rule says about one window's pairs.
    struct ThresholdVerdict {
        /// The pair whose interval lies furthest beyond the threshold, if any.
        var beyond: (first: String, second: String, interval: AlertEvent.Interval)?
        /// Whether no pair's interval lies beyond threshold ∓ margin (a firing rule counts the window as clear).
        var clear: Bool
    }

    /// The test statistic of a pair against a threshold value `t`: `Z = (t·r_b − r_a) / s` for a ratio `r_a / r_b`
    /// (positive when the ratio is under `t`), `Z = (r_a − r_b − t) / s` for a difference (positive when over `t`).
    /// `s²` is the variance of the numerator under the boundary `r_a / r_b = t` (`r_a − r_b = t`): binomial variances
    /// at the rates constrained to the boundary (pooled), plus the rates' DP noise variances. It is a score test:
    /// well calibrated at the boundary even for a rate at 0 or 1, where the plug-in binomial variance vanishes.
    static func pairStatistic(_ a: RuleRate, _ b: RuleRate, isRatio: Bool, threshold t: Double) -> Double {
        let (na, nb) = (a.denominator, b.denominator)
        let (xa, xb) = (min(max(0, a.numerator), na), min(max(0, b.numerator), nb))
        let pa0: Double
        let pb0: Double
        if isRatio {
            let pb = min(1, max(0, (xa + xb) / (t * na + nb)))
            (pa0, pb0) = (min(1, t * pb), pb)
        } else {
            let pb = min(1 - max(0, t), max(0, (xa + xb - na * t) / (na + nb)))
            (pa0, pb0) = (min(1, max(0, pb + t)), pb)
        }
        let weight = isRatio ? t : 1
        var variance = pa0 * (1 - pa0) / na + weight * weight * pb0 * (1 - pb0) / nb
        variance += a.noiseVariance + weight * weight * b.noiseVariance
        let gap = isRatio ? t * b.rate - a.rate : a.rate - b.rate - t
        guard variance > 0 else { return gap > 0 ? .infinity : (gap < 0 ? -.infinity : 0) }
        return gap / variance.squareRoot()
    }

    /// Evaluates a threshold rule on every ordered pair of groups (per component): a pair's confidence interval lies
    /// beyond the threshold when its score statistic exceeds `z` (`Φ̄(z) = errorRate / K`, `K` unordered pairs). For a
    /// threshold under parity a pair and its reverse cannot both lie beyond it, so with every true pair value at or
    /// within the threshold the rule fires with probability at most `errorRate`, and about exactly `errorRate` with
    /// two groups whose true value is at it. The interval reported is the score interval (the thresholds the pair's
    /// statistic does not reject at `z` on either side).
    static func thresholdVerdict(
        rates: [RuleRate], isRatio: Bool, threshold: Double, errorRate: Double, margin: Double
    ) -> ThresholdVerdict {
        var pairs: [(RuleRate, RuleRate)] = []
        for a in rates {
            for b in rates where b.group != a.group && b.component == a.component { pairs.append((a, b)) }
        }
        let pairErrorRate = errorRate / Double(max(1, pairs.count / 2))
        let z = SpanShiftTest.upperNormalQuantile(pairErrorRate)
        var beyond: (a: RuleRate, b: RuleRate, statistic: Double)?
        var clear = true
        let resolveAt = isRatio ? threshold + margin : threshold - margin
        for (a, b) in pairs {
            let statistic = pairStatistic(a, b, isRatio: isRatio, threshold: threshold)
            guard !statistic.isNaN else { continue }
            if statistic > z, beyond == nil || statistic > beyond!.statistic { beyond = (a, b, statistic) }
            if pairStatistic(a, b, isRatio: isRatio, threshold: resolveAt) > z { clear = false }
        }
        guard let beyond else { return ThresholdVerdict(beyond: nil, clear: clear) }
        let (a, b) = (beyond.a, beyond.b)
        let value = isRatio ? (b.rate > 0 ? a.rate / b.rate : .nan) : a.rate - b.rate
        // The score interval's bounds: where the statistic crosses ±z as the threshold moves.
        func bound(_ level: Double) -> Double {
            var (low, high) = isRatio ? (0.0, 1000.0) : (-1.0, 1.0)
            for _ in 0..<100 {
                let middle = (low + high) / 2
                // The statistic falls as the threshold rises for a difference, rises for a ratio.
                let s = pairStatistic(a, b, isRatio: isRatio, threshold: middle)
                if (isRatio ? s < level : s > level) { low = middle } else { high = middle }
            }
            return (low + high) / 2
        }
        var interval = AlertEvent.Interval(
            value: value, standardError: 0, errorRate: pairErrorRate, groups: [b.group, a.group], windows: 1,
            reference: threshold)
        (interval.low, interval.high) = isRatio ? (bound(-z), bound(z)) : (bound(z), bound(-z))
        if !isRatio { interval.groups = [a.group, b.group] }
        // `first` and `second` as the alert names them: a ratio's disadvantaged group second, a difference's higher
        // rate first.
        let named = isRatio ? (b.group, a.group) : (a.group, b.group)
        return ThresholdVerdict(beyond: (named.0, named.1, interval), clear: clear)
    }

    /// The likelihood-ratio test over runs of windows (`SpanShiftTest`): it reads the window's released counts, so
    /// it learns and tests even in windows where the metric itself is insufficient.
    func watchSpan(
        metric: FairnessMetric, attribute: String, disparity: Disparity, report: FairnessReport,
        counts: [String: NoisyGroupCounts], window: WindowBounds, state: inout SeriesState, alerts: inout [AlertEvent]
    ) -> DriftStatus {
        var test = state.span!
        defer { state.span = test }
        var status = DriftStatus(
            attribute: attribute, metric: metric, value: disparity.value, baseline: nil, gap: nil,
            statistic: test.statistic, threshold: test.threshold, phase: .learning)
        guard test.isReady else {
            test.learn(counts)
            status.threshold = test.threshold
            return status
        }
        status.baseline = test.level
        let estimate = disparity.value.estimate
        // The statistic that crossed the threshold, on the window that fires (the test restarts then).
        var firedAt: Double?
        if state.drift.isFiring {
            // Evaluated only for the statistic the status reports (the evidence since the alarm);
            // whether the alert resolves is `isClear`'s decision.
            _ = test.evaluate(counts)
            if let resolved = state.drift.observe(
                clear: test.isClear(windows: 2 * config.alerts.resolveAfter), window: window,
                value: estimate?.value ?? .nan, standardError: estimate?.standardError ?? .nan,
                resolveAfter: config.alerts.resolveAfter)
            {
                alerts.append(resolved)
                test.restart()
            }
        } else if let finding = test.evaluate(counts) {
            let threshold = test.threshold
            status.gap = (finding.estimate.value - finding.baseline) / finding.estimate.standardError
                * (metric.isRatio ? -1 : 1)
            if finding.statistic > threshold {
                let isPair = finding.comparison == .pair
                let interval = AlertEvent.Interval(
                    value: finding.estimate.value, standardError: finding.estimate.standardError,
                    errorRate: config.drift.falseAlarmRate,
                    groups: isPair ? [finding.groups.0, finding.groups.1] : [finding.movedGroup] + finding.others,
                    windows: finding.windows, reference: finding.baseline,
                    comparison: isPair ? nil : finding.comparison.rawValue)
                let magnitude =
                    metric.isRatio ? finding.baseline - finding.estimate.value : finding.estimate.value - finding.baseline
                let other = finding.movedGroup == finding.groups.0 ? finding.groups.1 : finding.groups.0
                let component = finding.component == "selection_rate" ? "" : " (\(finding.component))"
                let head = "[\(config.mode.rawValue)] \(metric.rawValue) over \(attribute) drifted: group "
                let versus: String
                switch finding.comparison {
                case .pair: versus = "\(finding.movedGroup) vs \(other)"
                case .groupMinusRest: versus = "\(finding.movedGroup) minus the mean of the other groups"
                case .restMinusGroup: versus = "the mean of the other groups minus \(finding.movedGroup)"
                }
                let pair = "\(versus)\(component) = \(Self.format(interval.value))"
                let run = " over the last \(finding.windows) windows, interval [\(Self.format(interval.low)), "
                let bounds = "\(Self.format(interval.high))], baseline \(Self.format(finding.baseline))"
                let detail = " (metric baseline \(Self.format(test.level)), likelihood-ratio test for a shift of "
                let shift = "\(Self.format(test.shift))) in window "
                let when = "\(rfc3339(milliseconds: window.start))–\(rfc3339(milliseconds: window.end))"
                let summary: String = head + pair + run + bounds + detail + shift + when
                var candidate = AlertEvent(
                    status: .firing, rule: .drift,
                    dedupKey: AlertEvent.dedupKey(
                        pipeline: config.alerts.pipeline, rule: .drift, attribute: attribute, metric: metric),
                    pipeline: config.alerts.pipeline, metric: metric, attribute: attribute,
                    severity: severity(magnitude), summary: summary, runbookURL: config.alerts.runbookURL,
                    window: window, value: estimate?.value ?? finding.estimate.value,
                    standardError: estimate?.standardError ?? finding.estimate.standardError, baseline: test.level,
                    threshold: threshold, minGroup: disparity.minGroup, maxGroup: disparity.maxGroup,
                    groupValues: Self.groupValues(report, metric: metric, component: disparity.component),
                    startsAt: window.end, endsAt: nil, mode: config.mode)
                candidate.group = finding.movedGroup
                candidate.interval = interval
                if let fired = state.drift.fire(candidate) { alerts.append(fired) }
                firedAt = finding.statistic
                test.restart()
            }
        }
        status.statistic = firedAt ?? test.statistic
        status.threshold = test.threshold
        status.phase = state.drift.isFiring ? .firing : .watching
        return status
    }

    /// The severity whose threshold is the highest one reached by `magnitude`.
    func severity(_ magnitude: Double) -> String {
        let levels = config.alerts.severity.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        return levels.last { magnitude >= $0.value }?.key ?? levels.first?.key ?? "warning"
    }

    func describe(
        metric: FairnessMetric, attribute: String, estimate: Estimate, disparity: Disparity, report: FairnessReport,
        window: WindowBounds
    ) -> String {
        let values = Self.groupValues(report, metric: metric, component: disparity.component)
        let groups = [disparity.minGroup, disparity.maxGroup].compactMap { $0 }
            .map { "\($0) \(Self.format(values[$0] ?? .nan))" }.joined(separator: " vs ")
        return "[\(config.mode.rawValue)] \(metric.rawValue) over \(attribute) = \(Self.format(estimate.value)) "
            + "± \(Self.format(1.96 * estimate.standardError)) (\(groups)) in window "
            + "\(rfc3339(milliseconds: window.start))–\(rfc3339(milliseconds: window.end))"
    }

    static func groupValues(_ report: FairnessReport, metric: FairnessMetric, component: String?) -> [String: Double] {
        var values: [String: Double] = [:]
        for (key, metrics) in report.groups where metrics.sufficient {
            let rate: MetricValue? =
                switch metric {
                case .demographicParityDifference, .demographicParityRatio: metrics.selectionRate
                case .equalOpportunityDifference, .equalOpportunityRatio: metrics.truePositiveRate
                case .equalizedOddsDifference, .equalizedOddsRatio:
                    component == "false_positive_rate" ? metrics.falsePositiveRate : metrics.truePositiveRate
                }
            if let value = rate?.estimate?.value { values[key] = value }
        }
        return values
    }

    static func format(_ value: Double) -> String { value.isFinite ? String(format: "%.4f", value) : "NaN" }
}
