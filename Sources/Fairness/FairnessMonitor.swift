import Foundation

/// The fairness engine of one pipeline: event-time windows of per-group counts, Fairlearn metrics computed from the
/// privacy layer's noisy counts, drift tests against a baseline, and the alert lifecycle.
///
/// Pure and driven by explicit stream time: the caller passes each record's event time, raises the watermark with
/// `advance(watermark:)`, releases the closed windows' counts through the privacy layer, and hands them back to
/// `evaluate(window:noisyCounts:)`. The whole value is `Codable`: `snapshot()` and `init(snapshot:)` move it to and
/// from the changelog.
public struct FairnessMonitor: Sendable, Codable {
    public let config: FairnessConfig
    public private(set) var counters = StreamCounters()
    private var windows: EventTimeWindows
    private var pending: [String: PendingPrediction] = [:]
    private var maxEventTime: Int64 = .min
    private var series: [String: SeriesState] = [:]

    struct PendingPrediction: Sendable, Hashable, Codable {
        var pane: Int64
        var groups: [String]
        var prediction: Bool
        var eventTime: Int64
    }

    struct SeriesState: Sendable, Hashable, Codable {
        var baseline: Baseline
        var detector: SequentialDetector
        /// The pairwise likelihood-ratio test, when `drift.shift` is configured.
        var shift: ShiftTest?
        /// The likelihood-ratio test over runs of windows, when `drift.test` is `likelihood_ratio`.
        var span: SpanShiftTest?
        var drift = AlertTracker()
        var fourFifths = AlertTracker()
        var parityLimit = AlertTracker()
    }

    public init(config: FairnessConfig) {
        self.config = config
        let horizon = config.feedback?.horizon.milliseconds ?? 0
        windows = EventTimeWindows(
            spec: config.window, closeDelay: config.allowedLateness.milliseconds + horizon,
            attributeNames: config.sensitive.map(\.name))
    }

    /// The watermark implied by the events seen: the largest event time minus the allowed out-of-orderness.
    public var watermark: Int64 {
        maxEventTime == .min ? .min : maxEventTime - config.watermark.maxOutOfOrderness.milliseconds
    }

    /// The earliest window that can still receive records, once known; earlier windows have closed.
    public var firstOpenWindow: Int64? { windows.nextWindow }

    /// Pending predictions awaiting a delayed label (bounded by the feedback horizon).
    public var pendingLabels: Int { pending.count }

    /// Counts one record into its windows.
    ///
    /// - Parameters:
    ///   - attributes: the record's values of the sensitive columns (a missing column counts as group `(missing)`).
    ///   - label: the label when it arrives with the record; nil when unknown or arriving later as feedback.
    ///   - score: a score, clamped to [0, 1] so one record moves a score sum by at most 1.
    ///   - recordId: joins a later feedback record when `feedback` is configured.
    ///   - eventTime: milliseconds since the epoch.
    ///   - admit: asked, with the windows the record would be counted in, whether it may reach the
    ///     counts (per-user contribution bounding); a record it refuses is accepted but left out of
    ///     every count and counted in `counters.overContributionCap`.
    public mutating func observe(
        attributes: [String: String], prediction: Bool, label: Bool? = nil, score: Double? = nil,
        recordId: String? = nil, eventTime: Int64, admit: (ClosedRange<Int64>) -> Bool = { _ in true }
    ) -> ObserveOutcome {
        let groups = config.sensitive.map { attribute in
            attribute.columns.map { attributes[$0] ?? "(missing)" }.joined(separator: "|")
        }
        var outcome: ObserveOutcome = eventTime < watermark ? .acceptedLate : .accepted
        maxEventTime = max(maxEventTime, eventTime)
        var target = windows.pane(for: eventTime)
        if target == nil {
            switch config.latePolicy {
            case .drop:
                counters.droppedLate += 1
                return .droppedLate
            case .deadLetter:
                counters.deadLettered += 1
                return .deadLetter
            case .earliestOpenWindow:
                target = windows.earliestOpenPane
                outcome = .reassignedLate
            }
        }
        guard let pane = target else { return .droppedLate }
        guard admit(windows.windows(containing: pane)) else {
            counters.overContributionCap += 1
            return outcome
        }
        let clamped = score.map { min(1, max(0, $0)) }
        windows.update(pane: pane, groups: groups) { $0.add(prediction: prediction, label: label, score: clamped) }
        if label == nil, config.feedback != nil, let recordId {
            pending[recordId] = PendingPrediction(
                pane: pane, groups: groups, prediction: prediction, eventTime: eventTime)
        }
        switch outcome {
        case .accepted: counters.accepted += 1
        case .acceptedLate: counters.acceptedLate += 1
        default: counters.reassignedLate += 1
        }
        return outcome
    }

    /// Joins a delayed label to its prediction by record id, within the feedback horizon.
    public mutating func observeFeedback(recordId: String, label: Bool, eventTime: Int64) -> FeedbackOutcome {
        guard let horizon = config.feedback?.horizon.milliseconds,
            let prediction = pending.removeValue(forKey: recordId)
        else {
            counters.feedbackUnmatched += 1
            return .unmatched
        }
        guard eventTime - prediction.eventTime <= horizon, windows.holds(pane: prediction.pane) else {
            counters.feedbackBeyondHorizon += 1
            return .beyondHorizon
        }
        windows.update(pane: prediction.pane, groups: prediction.groups) {
            $0.addLabel(label, prediction: prediction.prediction)
        }
        counters.feedbackJoined += 1
        return .joined
    }

    /// Raises the watermark (to `watermark`, or to the one implied by the events seen) and returns the windows that
    /// closed, oldest first, with exact per-group counts that need DP release before `evaluate`.
    public mutating func advance(watermark requested: Int64? = nil) -> [WindowResult] {
        let target = max(requested ?? .min, watermark)
        guard target != .min else { return [] }
        if let horizon = config.feedback?.horizon.milliseconds {
            for (id, prediction) in pending where prediction.eventTime + horizon < target {
                pending[id] = nil
                counters.labelsExpired += 1
            }
        }
        return windows.advance(to: target)
    }

    /// Computes the metrics of a closed window from released counts, runs the drift tests and the four-fifths rule,
    /// and returns the report with any alert transitions.
    ///
    /// - Parameter noisyCounts: per attribute name, per group key, the privacy layer's counts (or
    ///   `window.exactCounts` in raw mode).
    public mutating func evaluate(window: WindowResult, noisyCounts: [String: [String: NoisyGroupCounts]])
        -> WindowEvaluation
    {
        let hasLabels = config.label != nil || config.feedback != nil
        let options = MetricOptions(
            minGroupSize: config.minGroupSize, minDenominator: max(1, config.minGroupSize / 4),
            minGroupSizeZ: SpanShiftTest.upperNormalQuantile(config.minGroupErrorRate))
        var evaluation = WindowEvaluation(window: window.bounds, index: window.index, mode: config.mode)
        for attribute in config.sensitive.map(\.name) {
            let report = FairnessReport(
                counts: noisyCounts[attribute] ?? [:], hasLabels: hasLabels, hasScores: config.score != nil,
                options: options)
            evaluation.reports.append((attribute, report))
            let watched = Set(config.drift.metrics).union(config.fourFifths.enabled ? config.fourFifths.metrics : [])
                .union(config.parityLimits.limits.keys)
            for metric in FairnessMetric.allCases where watched.contains(metric) {
                guard let disparity = report.disparities[metric] else { continue }
                let status = watch(
                    metric: metric, attribute: attribute, disparity: disparity, report: report,
                    counts: noisyCounts[attribute] ?? [:], window: window.bounds)
                evaluation.drift.append(status.drift)
                evaluation.alerts += status.alerts
            }
        }
        return evaluation
    }

    private mutating func watch(
        metric: FairnessMetric, attribute: String, disparity: Disparity, report: FairnessReport,
        counts: [String: NoisyGroupCounts], window: WindowBounds
    ) -> (drift: DriftStatus, alerts: [AlertEvent]) {
        let key = attribute + "\u{1F}" + metric.rawValue
        var state =
            series[key]
            ?? SeriesState(
                baseline: Baseline(
                    target: config.baseline.targets[metric.rawValue],
                    referenceWindows: config.baseline.referenceWindows),
                detector: SequentialDetector(
                    test: config.drift.test, reference: config.drift.reference,
                    falseAlarmRate: config.drift.falseAlarmRate))
        if config.drift.test == .likelihoodRatio, let shift = config.drift.effectiveShift, state.span == nil {
            let overlap = Double(config.window.size.milliseconds) / Double(config.window.step.milliseconds)
            state.span = SpanShiftTest(
                metric: metric, shift: shift, falseAlarmRate: config.drift.falseAlarmRate,
                target: config.baseline.targets[metric.rawValue], referenceWindows: config.baseline.referenceWindows,
                maxWindows: config.drift.maxWindows, overlap: overlap.rounded(.up), minGroupSize: config.minGroupSize,
                minGroupZ: SpanShiftTest.upperNormalQuantile(config.minGroupErrorRate))
        }
        if config.drift.test != .likelihoodRatio, let shift = config.drift.shift, state.shift == nil {
            state.shift = ShiftTest(
                metric: metric, shift: shift, falseAlarmRate: config.drift.falseAlarmRate,
                target: config.baseline.targets[metric.rawValue], referenceWindows: config.baseline.referenceWindows)
        }
        defer { series[key] = state }
        if state.span != nil, config.drift.metrics.contains(metric) {
            var alerts = thresholdRules(
                metric: metric, attribute: attribute, disparity: disparity, report: report, noisyCounts: counts,
                window: window, state: &state)
            let status = watchSpan(
                metric: metric, attribute: attribute, disparity: disparity, report: report, counts: counts,
                window: window, state: &state, alerts: &alerts)
            return (status, alerts)
        }
        var status = DriftStatus(
            attribute: attribute, metric: metric, value: disparity.value, baseline: nil, gap: nil,
            statistic: state.shift?.statistic ?? state.detector.statistic,
            threshold: state.shift?.threshold ?? state.detector.threshold, phase: .learning)
        let ready = state.shift?.isReady ?? state.baseline.isReady
        var alerts = thresholdRules(
            metric: metric, attribute: attribute, disparity: disparity, report: report, noisyCounts: counts,
            window: window, state: &state)
        guard let estimate = disparity.value.estimate else {
            status.phase = state.drift.isFiring ? .firing : (ready ? .watching : .learning)
            return (status, alerts)
        }
        let baselineValue = ready ? (state.shift?.level ?? state.baseline.value) : nil
        func event(_ rule: AlertEvent.Rule, severity: String, threshold: Double, summary: String) -> AlertEvent {
            AlertEvent(
                status: .firing, rule: rule,
                dedupKey: AlertEvent.dedupKey(
                    pipeline: config.alerts.pipeline, rule: rule, attribute: attribute, metric: metric),
                pipeline: config.alerts.pipeline, metric: metric, attribute: attribute, severity: severity,
                summary: summary, runbookURL: config.alerts.runbookURL, window: window, value: estimate.value,
                standardError: estimate.standardError, baseline: baselineValue,
                threshold: threshold, minGroup: disparity.minGroup, maxGroup: disparity.maxGroup,
                groupValues: Self.groupValues(report, metric: metric, component: disparity.component),
                startsAt: window.end,
                endsAt: nil, mode: config.mode)
        }
        let described = describe(
            metric: metric, attribute: attribute, estimate: estimate, disparity: disparity, report: report,
            window: window)

        guard config.drift.metrics.contains(metric) else { return (status, alerts) }
        if var test = state.shift {
            defer { state.shift = test }
            let pairs = ShiftTest.pairs(of: report, metric: metric)
            guard test.isReady else {
                test.learn(pairs)
                status.threshold = test.threshold
                return (status, alerts)
            }
            status.baseline = test.level
            let step = test.step(pairs)
            status.gap = step.gap
            // The statistic that crossed the threshold, on the window that fires (the CUSUM resets then).
            var firedAt: Double?
            if state.drift.isFiring {
                if let resolved = state.drift.observe(
                    clear: step.clear, window: window, value: estimate.value, standardError: estimate.standardError,
                    resolveAfter: config.alerts.resolveAfter)
                {
                    alerts.append(resolved)
                }
            } else if let before = test.addReportingAlarm(step) {
                let magnitude = metric.isRatio ? test.level - estimate.value : estimate.value - test.level
                let summary =
                    "\(described) drifted from its baseline \(Self.format(test.level)) by at least "
                    + "\(Self.format(test.shift)) (likelihood-ratio CUSUM over \(test.watchedPairs) group pairs)"
                let candidate = event(
                    .drift, severity: severity(magnitude), threshold: test.threshold, summary: summary)
                if let fired = state.drift.fire(candidate) { alerts.append(fired) }
                firedAt = before
            }
            status.statistic = firedAt ?? test.statistic
            status.threshold = test.threshold
            status.phase = state.drift.isFiring ? .firing : .watching
            return (status, alerts)
        }
        if !state.baseline.isReady {
            state.baseline.learn(estimate)
            return (status, alerts)
        }
        status.baseline = state.baseline.value
        guard let gap = state.baseline.standardizedGap(estimate, worseIsLower: metric.isRatio) else {
            status.phase = state.drift.isFiring ? .firing : .watching
            return (status, alerts)
        }
        status.gap = gap
        if state.drift.isFiring {
            if let resolved = state.drift.observe(
                clear: gap <= config.drift.reference, window: window, value: estimate.value,
                standardError: estimate.standardError, resolveAfter: config.alerts.resolveAfter)
            {
                alerts.append(resolved)
            }
        } else if state.detector.update(gap) {
            let magnitude =
                metric.isRatio ? state.baseline.value - estimate.value : estimate.value - state.baseline.value
            let summary =
                "\(described) drifted from its baseline \(Self.format(state.baseline.value)) (standardized gap \(Self.format(gap)))"
            let candidate = event(
                .drift, severity: severity(magnitude), threshold: state.detector.threshold, summary: summary)
            if let fired = state.drift.fire(candidate) { alerts.append(fired) }
        }
        status.statistic = state.detector.statistic
        status.phase = state.drift.isFiring ? .firing : .watching
        return (status, alerts)
    }

    /// The monitor's whole state (configuration, windows, pending labels, baselines, detectors, alerts) as JSON.
    public func snapshot() throws -> Data { try JSONEncoder().encode(self) }

    /// Restores a monitor from `snapshot()`.
    public init(snapshot: Data) throws { self = try JSONDecoder().decode(FairnessMonitor.self, from: snapshot) }
}

/// Where one watched series stands after a window.
public struct DriftStatus: Sendable, Hashable {
    public enum Phase: String, Sendable, Hashable, Codable {
        /// Still collecting the reference period.
        case learning
        case watching
        case firing
    }

    public var attribute: String
    public var metric: FairnessMetric
    public var value: MetricValue
    public var baseline: Double?
    /// Standardized gap to the baseline (positive = worse).
    public var gap: Double?
    public var statistic: Double
    public var threshold: Double
    public var phase: Phase
}

/// The outcome of evaluating one closed window.
public struct WindowEvaluation: Sendable {
    public var window: WindowBounds
    public var index: Int64
    public var mode: FairnessConfig.Mode
    /// Per sensitive attribute, its report.
    public var reports: [(attribute: String, report: FairnessReport)] = []
    public var drift: [DriftStatus] = []
    /// Alert transitions (firing or resolved) caused by this window.
    public var alerts: [AlertEvent] = []

    init(window: WindowBounds, index: Int64, mode: FairnessConfig.Mode) {
        self.window = window
        self.index = index
        self.mode = mode
    }
}

extension FairnessMonitor {
    /// Panes currently held (the window state is O(panes × groups)).
    public var heldPanes: Int { windows.panes.count }
}

extension FairnessMonitor {
    /// Closes every window holding data (end of a recorded stream).
    public mutating func flush() -> [WindowResult] {
        guard maxEventTime != .min else { return [] }
        let horizon = config.feedback?.horizon.milliseconds ?? 0
        return advance(
            watermark: maxEventTime + config.window.size.milliseconds + config.allowedLateness.milliseconds + horizon)
    }
}
