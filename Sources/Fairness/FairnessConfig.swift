/// A duration in milliseconds of event time, written in YAML as a number of milliseconds or as text with a unit
/// (`500ms`, `30s`, `5m`, `1h`, `7d`).
public struct EventDuration: Sendable, Hashable, Codable, Comparable {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }
    public static func seconds(_ value: Int64) -> EventDuration { EventDuration(milliseconds: value * 1000) }
    public static func minutes(_ value: Int64) -> EventDuration { .seconds(value * 60) }
    public static func < (lhs: EventDuration, rhs: EventDuration) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            milliseconds = number
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = EventDuration(text: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a duration; write e.g. 500ms, 30s, 5m, 1h or 7d")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(milliseconds)
    }

    /// Parses `<integer><unit>` with unit ms, s, m, h or d (a bare integer is milliseconds).
    public init?(text: String) {
        let digits = text.prefix { $0.isNumber }
        guard let amount = Int64(digits) else { return nil }
        let scale: Int64
        switch text.dropFirst(digits.count) {
        case "", "ms": scale = 1
        case "s": scale = 1000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default: return nil
        }
        milliseconds = amount * scale
    }
}

/// The `fairness:` section of a topology.
public struct FairnessConfig: Sendable, Hashable, Codable {
    /// `private`: metrics from the privacy layer's noisy counts. `raw`: exact counts for trusted internal use;
    /// every message is marked `"mode": "raw"`.
    public enum Mode: String, Sendable, Hashable, Codable { case `private`, raw }

    public var mode: Mode
    /// Sensitive attributes: each entry is one column or a list of columns (an intersectional attribute, whose
    /// group keys are the values joined with `|`).
    public var sensitive: [SensitiveAttribute]
    /// Record field holding the binary prediction.
    public var prediction: String
    /// Record field holding the label when it arrives with the record.
    public var label: String?
    /// Record field holding a score in [0, 1].
    public var score: String?
    /// Record field holding the record id (joins delayed feedback).
    public var recordId: String?
    /// Text that means a positive outcome, when outcomes are not 1/0 or true/false.
    public var positive: String?
    public var window: WindowSpec
    public var watermark: WatermarkSpec
    public var allowedLateness: EventDuration
    public var latePolicy: LatePolicy
    public var feedback: FeedbackSpec?
    /// Groups with fewer (noisy) records in a window are reported as insufficient and not compared.
    public var minGroupSize: Double
    /// The `min_group_size` guard reads noisy counts with their uncertainty: a group takes part only when its size is
    /// at least `minGroupSize` at this one-sided error rate (count − z·noise s.d. ≥ min_group_size).
    public var minGroupErrorRate: Double
    /// The declared volume: events per window (all groups together), for the budget–power statement of
    /// `steward validate --describe` (nil: not declared).
    public var expectedEventsPerWindow: Double?
    /// The declared number of groups per attribute name (for the same statement; default 2).
    public var expectedGroups: [String: Int]
    /// Per attribute name, the groups (values joined with `|`) released in every window without
    /// partition selection; other groups appear only above the selection threshold (private mode).
    public var publicGroups: [String: [String]]
    public var baseline: BaselineSpec
    public var drift: DriftSpec
    public var fourFifths: FourFifthsSpec
    public var parityLimits: ParityLimitsSpec
    public var alerts: AlertSpec

    public init(
        mode: Mode = .private, sensitive: [SensitiveAttribute], prediction: String, label: String? = nil,
        score: String? = nil, recordId: String? = nil, positive: String? = nil, window: WindowSpec = WindowSpec(),
        watermark: WatermarkSpec = WatermarkSpec(), allowedLateness: EventDuration = .seconds(0),
        latePolicy: LatePolicy = .drop, feedback: FeedbackSpec? = nil, minGroupSize: Double = 30,
        minGroupErrorRate: Double = 0.05, expectedEventsPerWindow: Double? = nil, expectedGroups: [String: Int] = [:],
        publicGroups: [String: [String]] = [:], baseline: BaselineSpec = BaselineSpec(), drift: DriftSpec = DriftSpec(),
        fourFifths: FourFifthsSpec = FourFifthsSpec(), parityLimits: ParityLimitsSpec = ParityLimitsSpec(),
        alerts: AlertSpec = AlertSpec()
    ) {
        self.mode = mode
        self.sensitive = sensitive
        self.prediction = prediction
        self.label = label
        self.score = score
        self.recordId = recordId
        self.positive = positive
        self.window = window
        self.watermark = watermark
        self.allowedLateness = allowedLateness
        self.latePolicy = latePolicy
        self.feedback = feedback
        self.minGroupSize = minGroupSize
        self.minGroupErrorRate = minGroupErrorRate
        self.expectedEventsPerWindow = expectedEventsPerWindow
        self.expectedGroups = expectedGroups
        self.publicGroups = publicGroups
        self.baseline = baseline
        self.drift = drift
        self.fourFifths = fourFifths
        self.parityLimits = parityLimits
        self.alerts = alerts
    }

    enum CodingKeys: String, CodingKey {
        case mode, sensitive, prediction, label, score, positive, window, watermark, feedback, baseline, drift, alerts
        case recordId = "record_id"
        case allowedLateness = "allowed_lateness"
        case latePolicy = "late_policy"
        case minGroupSize = "min_group_size"
        case minGroupErrorRate = "min_group_error_rate"
        case expectedEventsPerWindow = "expected_events_per_window"
        case expectedGroups = "expected_groups"
        case publicGroups = "public_groups"
        case fourFifths = "four_fifths"
        case parityLimits = "parity_limits"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            mode: try c.decodeIfPresent(Mode.self, forKey: .mode) ?? .private,
            sensitive: try c.decode([SensitiveAttribute].self, forKey: .sensitive),
            prediction: try c.decode(String.self, forKey: .prediction),
            label: try c.decodeIfPresent(String.self, forKey: .label),
            score: try c.decodeIfPresent(String.self, forKey: .score),
            recordId: try c.decodeIfPresent(String.self, forKey: .recordId),
            positive: try c.decodeIfPresent(String.self, forKey: .positive),
            window: try c.decodeIfPresent(WindowSpec.self, forKey: .window) ?? WindowSpec(),
            watermark: try c.decodeIfPresent(WatermarkSpec.self, forKey: .watermark) ?? WatermarkSpec(),
            allowedLateness: try c.decodeIfPresent(EventDuration.self, forKey: .allowedLateness) ?? .seconds(0),
            latePolicy: try c.decodeIfPresent(LatePolicy.self, forKey: .latePolicy) ?? .drop,
            feedback: try c.decodeIfPresent(FeedbackSpec.self, forKey: .feedback),
            minGroupSize: try c.decodeIfPresent(Double.self, forKey: .minGroupSize) ?? 30,
            minGroupErrorRate: try c.decodeIfPresent(Double.self, forKey: .minGroupErrorRate) ?? 0.05,
            expectedEventsPerWindow: try c.decodeIfPresent(Double.self, forKey: .expectedEventsPerWindow),
            expectedGroups: try c.decodeIfPresent([String: Int].self, forKey: .expectedGroups) ?? [:],
            publicGroups: try c.decodeIfPresent([String: [String]].self, forKey: .publicGroups) ?? [:],
            baseline: try c.decodeIfPresent(BaselineSpec.self, forKey: .baseline) ?? BaselineSpec(),
            drift: try c.decodeIfPresent(DriftSpec.self, forKey: .drift) ?? DriftSpec(),
            fourFifths: try c.decodeIfPresent(FourFifthsSpec.self, forKey: .fourFifths) ?? FourFifthsSpec(),
            parityLimits: try c.decodeIfPresent(ParityLimitsSpec.self, forKey: .parityLimits) ?? ParityLimitsSpec(),
            alerts: try c.decodeIfPresent(AlertSpec.self, forKey: .alerts) ?? AlertSpec())
        if sensitive.isEmpty {
            throw DecodingError.dataCorruptedError(
                forKey: .sensitive, in: c, debugDescription: "list at least one sensitive attribute, e.g. [race]")
        }
        try window.validate(codingPath: c.codingPath + [CodingKeys.window as any CodingKey])
        if !(minGroupErrorRate > 0 && minGroupErrorRate < 1) {
            throw DecodingError.dataCorruptedError(
                forKey: .minGroupErrorRate, in: c, debugDescription: "min_group_error_rate must be in (0, 1), e.g. 0.05")
        }
        if let expectedEventsPerWindow, !(expectedEventsPerWindow > 0 && expectedEventsPerWindow.isFinite) {
            throw DecodingError.dataCorruptedError(
                forKey: .expectedEventsPerWindow, in: c,
                debugDescription: "expected_events_per_window must be a positive number of events, e.g. 400")
        }
        if let name = publicGroups.keys.first(where: { name in !sensitive.contains { $0.name == name } }) {
            throw DecodingError.dataCorruptedError(
                forKey: .publicGroups, in: c,
                debugDescription: "public_groups names '\(name)', which is not a sensitive attribute "
                    + "(intersectional ones are named with |, e.g. \"country|device\")")
        }
        if let name = expectedGroups.first(where: { $0.value < 2 })?.key {
            throw DecodingError.dataCorruptedError(
                forKey: .expectedGroups, in: c, debugDescription: "expected_groups of '\(name)' must be at least 2")
        }
    }
}

/// One sensitive attribute: a single column, or several columns forming an intersectional attribute.
public struct SensitiveAttribute: Sendable, Hashable, Codable {
    public var columns: [String]

    public init(_ columns: [String]) { self.columns = columns }

    /// The attribute's name: its columns joined with `|`.
    public var name: String { columns.joined(separator: "|") }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let column = try? container.decode(String.self) {
            columns = [column]
        } else {
            columns = try container.decode([String].self)
            if columns.isEmpty {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "an intersectional attribute needs columns, e.g. [race, sex]")
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(columns)
    }
}

/// Tumbling, hopping or sliding windows over event time.
public struct WindowSpec: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable { case tumbling, hopping, sliding }

    /// `tumbling`: back-to-back windows of `size`. `hopping`: windows of `size` starting every `advance`.
    /// `sliding`: a trailing window of `size` re-evaluated every `advance` (kept as panes of `advance`).
    public var kind: Kind
    public var size: EventDuration
    public var advance: EventDuration?

    public init(kind: Kind = .tumbling, size: EventDuration = .minutes(5), advance: EventDuration? = nil) {
        self.kind = kind
        self.size = size
        self.advance = advance
    }

    enum CodingKeys: String, CodingKey {
        case kind = "type"
        case size, advance
    }

    /// The step between window starts.
    public var step: EventDuration { kind == .tumbling ? size : (advance ?? size) }

    func validate(codingPath: [any CodingKey]) throws {
        func fail(_ message: String) throws -> Never {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: message))
        }
        if size.milliseconds <= 0 { try fail("window size must be positive, e.g. 5m") }
        if kind != .tumbling && advance == nil { try fail("a \(kind.rawValue) window needs advance, e.g. 1m") }
        if step.milliseconds <= 0 || step > size { try fail("advance must be positive and at most the size") }
    }
}

/// Bounded out-of-orderness: the watermark trails the largest event time seen by this much.
public struct WatermarkSpec: Sendable, Hashable, Codable {
    public var maxOutOfOrderness: EventDuration

    public init(maxOutOfOrderness: EventDuration = .seconds(5)) { self.maxOutOfOrderness = maxOutOfOrderness }

    enum CodingKeys: String, CodingKey { case maxOutOfOrderness = "max_out_of_orderness" }
}

/// What happens to an event all of whose windows already closed.
public enum LatePolicy: String, Sendable, Hashable, Codable {
    /// Counted in the late metric and dropped.
    case drop
    /// Counted and returned to the caller for the dead-letter topic.
    case deadLetter = "dead_letter"
    /// Counted and added to the earliest window still open.
    case earliestOpenWindow = "earliest_open_window"
}

/// Delayed labels: feedback records joined to predictions by record id within a horizon.
public struct FeedbackSpec: Sendable, Hashable, Codable {
    /// Feedback later than this after the prediction's event time is not joined.
    public var horizon: EventDuration
    /// Field of the feedback record holding the record id, and the one holding the label.
    public var idField: String
    public var labelField: String

    public init(horizon: EventDuration = .minutes(60), idField: String = "id", labelField: String = "label") {
        self.horizon = horizon
        self.idField = idField
        self.labelField = labelField
    }

    enum CodingKeys: String, CodingKey {
        case horizon
        case idField = "id_field"
        case labelField = "label_field"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FeedbackSpec()
        horizon = try c.decodeIfPresent(EventDuration.self, forKey: .horizon) ?? defaults.horizon
        idField = try c.decodeIfPresent(String.self, forKey: .idField) ?? defaults.idField
        labelField = try c.decodeIfPresent(String.self, forKey: .labelField) ?? defaults.labelField
    }
}

/// What the drift test compares with: a reference period (the first windows) or configured target values.
public struct BaselineSpec: Sendable, Hashable, Codable {
    /// Number of windows (with a value) that form the reference period, when no target is set for a metric.
    public var referenceWindows: Int
    /// Target values per metric name (e.g. `demographic_parity_difference: 0.0`); these take precedence.
    public var targets: [String: Double]

    public init(referenceWindows: Int = 12, targets: [String: Double] = [:]) {
        self.referenceWindows = referenceWindows
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey {
        case referenceWindows = "reference_windows"
        case targets
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        referenceWindows = try c.decodeIfPresent(Int.self, forKey: .referenceWindows) ?? 12
        targets = try c.decodeIfPresent([String: Double].self, forKey: .targets) ?? [:]
    }
}

/// The sequential drift test on the standardized gap between each window's metric and the baseline.
public struct DriftSpec: Sendable, Hashable, Codable {
    public enum Test: String, Sendable, Hashable, Codable {
        case cusum
        case pageHinkley = "page_hinkley"
        /// The likelihood-ratio test for `shift` over runs of windows whose counts are summed first
        /// (`SpanShiftTest`): the DP noise of a run does not grow with its length.
        case likelihoodRatio = "likelihood_ratio"
    }

    public var test: Test
    /// Metrics watched (Fairlearn names).
    public var metrics: [FairnessMetric]
    /// Allowed false alarms per window evaluated, per watched series (metric × attribute); sets the threshold.
    public var falseAlarmRate: Double
    /// Reference value k of the test, in standard errors: half the standardized shift it is tuned for.
    public var reference: Double
    /// The change of the metric to detect, in metric units (e.g. 0.1). When set, the test is the pairwise
    /// likelihood-ratio CUSUM (`ShiftTest`) and `reference` is not used; when nil, the standardized-gap test.
    public var shift: Double?
    /// `likelihood_ratio`: the longest run of windows tested (runs of 1, 2, 3, 4, 6, 8, 12, … windows up to it).
    public var maxWindows: Int

    public init(
        test: Test = .cusum, metrics: [FairnessMetric] = [.demographicParityDifference], falseAlarmRate: Double = 1e-6,
        reference: Double = 1.0, shift: Double? = nil, maxWindows: Int = 24
    ) {
        self.test = test
        self.metrics = metrics
        self.falseAlarmRate = falseAlarmRate
        self.reference = reference
        self.shift = shift
        self.maxWindows = maxWindows
    }

    /// The shift the likelihood-ratio tests are tuned to: the configured one, 0.1 for `likelihood_ratio` without it.
    public var effectiveShift: Double? { shift ?? (test == .likelihoodRatio ? 0.1 : nil) }

    enum CodingKeys: String, CodingKey {
        case test, metrics, reference, shift
        case falseAlarmRate = "false_alarm_rate"
        case maxWindows = "max_windows"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        test = try c.decodeIfPresent(Test.self, forKey: .test) ?? .cusum
        metrics = try c.decodeIfPresent([FairnessMetric].self, forKey: .metrics) ?? [.demographicParityDifference]
        falseAlarmRate = try c.decodeIfPresent(Double.self, forKey: .falseAlarmRate) ?? 1e-6
        reference = try c.decodeIfPresent(Double.self, forKey: .reference) ?? 1.0
        shift = try c.decodeIfPresent(Double.self, forKey: .shift)
        maxWindows = try c.decodeIfPresent(Int.self, forKey: .maxWindows) ?? 24
        if !(1...4096).contains(maxWindows) {
            throw DecodingError.dataCorruptedError(
                forKey: .maxWindows, in: c, debugDescription: "max_windows must be 1 to 4096 windows, e.g. 24")
        }
        if let shift, !(shift > 0 && shift.isFinite) {
            throw DecodingError.dataCorruptedError(
                forKey: .shift, in: c, debugDescription: "shift must be a positive change of the metric, e.g. 0.1")
        }
        if !(falseAlarmRate > 0 && falseAlarmRate < 1) {
            throw DecodingError.dataCorruptedError(
                forKey: .falseAlarmRate, in: c, debugDescription: "false_alarm_rate must be in (0, 1), e.g. 1e-6")
        }
    }
}

/// The four-fifths rule: a ratio metric whose confidence interval lies under `threshold` fires an alert.
public struct FourFifthsSpec: Sendable, Hashable, Codable {
    public var enabled: Bool
    public var threshold: Double
    /// Ratio metrics the rule applies to.
    public var metrics: [FairnessMetric]
    /// The rule's error rate per window: the probability that it fires when the true metric is exactly at the
    /// threshold (one-sided, spread over the group pairs).
    public var errorRate: Double

    public init(
        enabled: Bool = true, threshold: Double = 0.8, metrics: [FairnessMetric] = [.demographicParityRatio],
        errorRate: Double = 1e-3
    ) {
        self.enabled = enabled
        self.threshold = threshold
        self.metrics = metrics
        self.errorRate = errorRate
    }

    enum CodingKeys: String, CodingKey {
        case enabled, threshold, metrics
        case errorRate = "error_rate"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? 0.8
        metrics = try c.decodeIfPresent([FairnessMetric].self, forKey: .metrics) ?? [.demographicParityRatio]
        errorRate = try c.decodeIfPresent(Double.self, forKey: .errorRate) ?? 1e-3
        if !(errorRate > 0 && errorRate < 0.5) {
            throw DecodingError.dataCorruptedError(
                forKey: .errorRate, in: c, debugDescription: "error_rate must be in (0, 0.5), e.g. 0.001")
        }
    }
}

/// Parity-difference limits: a difference metric whose confidence interval lies above its limit fires an alert.
public struct ParityLimitsSpec: Sendable, Hashable, Codable {
    /// Limit per difference metric (e.g. `demographic_parity_difference: 0.2`).
    public var limits: [FairnessMetric: Double]
    /// Probability per window that a limit fires when the true metric is exactly at it (as for four-fifths).
    public var errorRate: Double

    public init(limits: [FairnessMetric: Double] = [:], errorRate: Double = 1e-3) {
        self.limits = limits
        self.errorRate = errorRate
    }

    enum CodingKeys: String, CodingKey {
        case limits
        case errorRate = "error_rate"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let named = try c.decodeIfPresent([String: Double].self, forKey: .limits) ?? [:]
        var limits: [FairnessMetric: Double] = [:]
        for (name, limit) in named {
            guard let metric = FairnessMetric(rawValue: name), !metric.isRatio else {
                throw DecodingError.dataCorruptedError(
                    forKey: .limits, in: c,
                    debugDescription: "'\(name)' is not a difference metric, e.g. demographic_parity_difference")
            }
            guard limit >= 0, limit.isFinite else {
                throw DecodingError.dataCorruptedError(
                    forKey: .limits, in: c, debugDescription: "the limit of \(name) must be a number ≥ 0, e.g. 0.2")
            }
            limits[metric] = limit
        }
        self.limits = limits
        errorRate = try c.decodeIfPresent(Double.self, forKey: .errorRate) ?? 1e-3
        if !(errorRate > 0 && errorRate < 0.5) {
            throw DecodingError.dataCorruptedError(
                forKey: .errorRate, in: c, debugDescription: "error_rate must be in (0, 0.5), e.g. 0.001")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Dictionary(uniqueKeysWithValues: limits.map { ($0.key.rawValue, $0.value) }), forKey: .limits)
        try c.encode(errorRate, forKey: .errorRate)
    }
}

/// Alert lifecycle and delivery.
public struct AlertSpec: Sendable, Hashable, Codable {
    /// Pipeline name used in dedup keys and labels.
    public var pipeline: String
    /// Consecutive clear windows before a firing alert resolves (hysteresis).
    public var resolveAfter: Int
    /// A four-fifths alert resolves only once the ratio is back above threshold + this margin.
    public var resolveMargin: Double
    /// Severity by magnitude of the gap to the baseline (ratio metrics: baseline − value); the highest reached wins.
    public var severity: [String: Double]
    public var runbookURL: String?
    public var webhook: WebhookSpec?

    public init(
        pipeline: String = "steward", resolveAfter: Int = 3, resolveMargin: Double = 0.02,
        severity: [String: Double] = ["warning": 0, "error": 0.1, "critical": 0.2], runbookURL: String? = nil,
        webhook: WebhookSpec? = nil
    ) {
        self.pipeline = pipeline
        self.resolveAfter = resolveAfter
        self.resolveMargin = resolveMargin
        self.severity = severity
        self.runbookURL = runbookURL
        self.webhook = webhook
    }

    enum CodingKeys: String, CodingKey {
        case pipeline, severity, webhook
        case resolveAfter = "resolve_after"
        case resolveMargin = "resolve_margin"
        case runbookURL = "runbook_url"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = AlertSpec()
        pipeline = try c.decodeIfPresent(String.self, forKey: .pipeline) ?? defaults.pipeline
        resolveAfter = try c.decodeIfPresent(Int.self, forKey: .resolveAfter) ?? defaults.resolveAfter
        resolveMargin = try c.decodeIfPresent(Double.self, forKey: .resolveMargin) ?? defaults.resolveMargin
        severity = try c.decodeIfPresent([String: Double].self, forKey: .severity) ?? defaults.severity
        runbookURL = try c.decodeIfPresent(String.self, forKey: .runbookURL)
        webhook = try c.decodeIfPresent(WebhookSpec.self, forKey: .webhook)
    }
}

/// Where alerts are posted besides the alerts topic. Secrets (PagerDuty routing key) come from the environment.
public struct WebhookSpec: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable { case alertmanager, pagerduty }

    public var kind: Kind
    /// Alertmanager base URL (`POST <url>/api/v2/alerts`) or the PagerDuty Events v2 enqueue URL.
    public var url: String
    /// How often firing alerts are posted again (Alertmanager), each time with an `endsAt` three
    /// intervals ahead, so they stay firing until Steward resolves them; default 1 minute, below
    /// Alertmanager's default `resolve_timeout` of 5 minutes.
    public var resendInterval: EventDuration

    public static let defaultResendInterval = EventDuration.seconds(60)

    public init(kind: Kind, url: String, resendInterval: EventDuration = WebhookSpec.defaultResendInterval) {
        self.kind = kind
        self.url = url
        self.resendInterval = resendInterval
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        url = try c.decode(String.self, forKey: .url)
        resendInterval = try c.decodeIfPresent(EventDuration.self, forKey: .resendInterval) ?? Self.defaultResendInterval
        guard resendInterval.milliseconds > 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .resendInterval, in: c, debugDescription: "resend_interval must be positive")
        }
    }

    enum CodingKeys: String, CodingKey {
        case kind = "type"
        case url
        case resendInterval = "resend_interval"
    }
}
