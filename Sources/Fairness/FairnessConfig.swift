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
    public var baseline: BaselineSpec
    public var drift: DriftSpec
    public var fourFifths: FourFifthsSpec
    public var alerts: AlertSpec

    public init(
        mode: Mode = .private, sensitive: [SensitiveAttribute], prediction: String, label: String? = nil,
        score: String? = nil, recordId: String? = nil, positive: String? = nil, window: WindowSpec = WindowSpec(),
        watermark: WatermarkSpec = WatermarkSpec(), allowedLateness: EventDuration = .seconds(0),
        latePolicy: LatePolicy = .drop, feedback: FeedbackSpec? = nil, minGroupSize: Double = 30,
        baseline: BaselineSpec = BaselineSpec(), drift: DriftSpec = DriftSpec(),
        fourFifths: FourFifthsSpec = FourFifthsSpec(), alerts: AlertSpec = AlertSpec()
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
        self.baseline = baseline
        self.drift = drift
        self.fourFifths = fourFifths
        self.alerts = alerts
    }

    enum CodingKeys: String, CodingKey {
        case mode, sensitive, prediction, label, score, positive, window, watermark, feedback, baseline, drift, alerts
        case recordId = "record_id"
        case allowedLateness = "allowed_lateness"
        case latePolicy = "late_policy"
        case minGroupSize = "min_group_size"
        case fourFifths = "four_fifths"
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
            baseline: try c.decodeIfPresent(BaselineSpec.self, forKey: .baseline) ?? BaselineSpec(),
            drift: try c.decodeIfPresent(DriftSpec.self, forKey: .drift) ?? DriftSpec(),
            fourFifths: try c.decodeIfPresent(FourFifthsSpec.self, forKey: .fourFifths) ?? FourFifthsSpec(),
            alerts: try c.decodeIfPresent(AlertSpec.self, forKey: .alerts) ?? AlertSpec())
        if sensitive.isEmpty {
            throw DecodingError.dataCorruptedError(
                forKey: .sensitive, in: c, debugDescription: "list at least one sensitive attribute, e.g. [race]")
        }
        try window.validate(codingPath: c.codingPath + [CodingKeys.window as any CodingKey])
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

    public init(
        test: Test = .cusum, metrics: [FairnessMetric] = [.demographicParityDifference], falseAlarmRate: Double = 1e-6,
        reference: Double = 1.0, shift: Double? = nil
    ) {
        self.test = test
        self.metrics = metrics
        self.falseAlarmRate = falseAlarmRate
        self.reference = reference
        self.shift = shift
    }

    enum CodingKeys: String, CodingKey {
        case test, metrics, reference, shift
        case falseAlarmRate = "false_alarm_rate"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        test = try c.decodeIfPresent(Test.self, forKey: .test) ?? .cusum
        metrics = try c.decodeIfPresent([FairnessMetric].self, forKey: .metrics) ?? [.demographicParityDifference]
        falseAlarmRate = try c.decodeIfPresent(Double.self, forKey: .falseAlarmRate) ?? 1e-6
        reference = try c.decodeIfPresent(Double.self, forKey: .reference) ?? 1.0
        shift = try c.decodeIfPresent(Double.self, forKey: .shift)
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

/// The four-fifths rule: a ratio metric under `threshold` fires an alert.
public struct FourFifthsSpec: Sendable, Hashable, Codable {
    public var enabled: Bool
    public var threshold: Double
    /// Ratio metrics the rule applies to.
    public var metrics: [FairnessMetric]

    public init(enabled: Bool = true, threshold: Double = 0.8, metrics: [FairnessMetric] = [.demographicParityRatio]) {
        self.enabled = enabled
        self.threshold = threshold
        self.metrics = metrics
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? 0.8
        metrics = try c.decodeIfPresent([FairnessMetric].self, forKey: .metrics) ?? [.demographicParityRatio]
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
