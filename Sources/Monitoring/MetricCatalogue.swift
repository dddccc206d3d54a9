import CoreMetrics
import Prometheus

/// Every metric Steward exposes, with its help text: the one list that the exposition, the README
/// and the tests read. Names start with `steward_`; counters end in `_total`.
public enum MetricCatalogue {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public struct Entry: Sendable {
        public let name: String
        public let kind: Kind
        public let labels: [String]
        public let help: String
    }

    public static let consumed = Entry(
        name: "steward_records_consumed_total", kind: .counter, labels: ["topology"],
        help: "Input records consumed and committed.")
    public static let sanitized = Entry(
        name: "steward_records_sanitized_total", kind: .counter, labels: ["topology"],
        help: "Records that passed every record stage and were published on <name>.sanitized.")
    public static let deadLettered = Entry(
        name: "steward_records_dead_lettered_total", kind: .counter, labels: ["topology", "reason"],
        help: "Records published on <name>.dlq, by dead-letter reason.")
    public static let outputs = Entry(
        name: "steward_outputs_total", kind: .counter, labels: ["topology", "topic"],
        help: "Messages published and committed, by output topic.")
    public static let committed = Entry(
        name: "steward_transactions_committed_total", kind: .counter, labels: ["topology"],
        help: "Batches committed (one Kafka transaction each under exactly_once).")
    public static let aborted = Entry(
        name: "steward_transactions_aborted_total", kind: .counter, labels: ["topology"],
        help: "Transactions aborted; their batch was rolled back and read again.")
    public static let batchDuration = Entry(
        name: "steward_batch_duration_seconds", kind: .histogram, labels: ["topology"],
        help: "Time from a batch's poll to its commit: processing, producing and committing.")
    public static let eventTimeLag = Entry(
        name: "steward_event_time_lag_seconds", kind: .gauge, labels: ["topology"],
        help: "Wall-clock time now minus the largest event time processed.")
    public static let consumerLag = Entry(
        name: "steward_consumer_lag_messages", kind: .gauge, labels: ["topology", "topic", "partition"],
        help: "Messages between the consumer position and the partition's high watermark (librdkafka statistics).")
    public static let redactions = Entry(
        name: "steward_redactions_total", kind: .counter, labels: ["topology", "entity"],
        help: "Spans redacted by free-text scanning, by entity type.")
    public static let rhoSpent = Entry(
        name: "steward_privacy_rho_spent", kind: .gauge, labels: ["topology"],
        help: "Cumulative rho-zCDP budget of one privacy unit spent by the topology's releases so far.")
    public static let epsilonSpent = Entry(
        name: "steward_privacy_epsilon_spent", kind: .gauge, labels: ["topology"],
        help: "The spent budget as (epsilon, delta)-DP epsilon at the configured delta.")
    public static let overContributionCap = Entry(
        name: "steward_privacy_records_over_cap_total", kind: .counter, labels: ["topology"],
        help: "Records left out of the fairness counts because their person had reached the contribution caps "
            + "(privacy.unit user); they still go to the sanitized output.")
    public static let groupMetric = Entry(
        name: "steward_fairness_group_metric", kind: .gauge, labels: ["topology", "attribute", "group", "metric"],
        help: "Latest closed window's per-group metric as released (from noisy counts in private mode).")
    public static let groupStandardError = Entry(
        name: "steward_fairness_group_metric_stderr", kind: .gauge,
        labels: ["topology", "attribute", "group", "metric"],
        help: "Standard error (sampling and privacy noise) of steward_fairness_group_metric.")
    public static let disparity = Entry(
        name: "steward_fairness_disparity", kind: .gauge, labels: ["topology", "attribute", "metric"],
        help: "Latest closed window's disparity metric as released (from noisy counts in private mode).")
    public static let driftStatistic = Entry(
        name: "steward_fairness_drift_statistic", kind: .gauge, labels: ["topology", "attribute", "metric"],
        help: "Drift test statistic of the latest closed window.")
    public static let driftThreshold = Entry(
        name: "steward_fairness_drift_threshold", kind: .gauge, labels: ["topology", "attribute", "metric"],
        help: "Threshold above which the drift test fires.")
    public static let windowEnd = Entry(
        name: "steward_fairness_window_end_timestamp_seconds", kind: .gauge, labels: ["topology"],
        help: "End (event time) of the latest closed fairness window.")
    public static let alertsFiring = Entry(
        name: "steward_alerts_firing", kind: .gauge, labels: ["topology"],
        help: "Fairness alerts currently firing.")
    public static let alertTransitions = Entry(
        name: "steward_alert_transitions_total", kind: .counter, labels: ["topology", "status"],
        help: "Alert transitions committed on <name>.alerts, by status (firing, resolved).")
    public static let deliveriesFailed = Entry(
        name: "steward_alert_deliveries_failed_total", kind: .counter, labels: ["topology"],
        help: "Alert transitions whose delivery to the webhook failed after every retry.")
    public static let restoreProgress = Entry(
        name: "steward_state_restore_progress_ratio", kind: .gauge, labels: ["topology"],
        help: "Progress of restoring the topology's state before processing, from 0 to 1.")
    public static let ready = Entry(
        name: "steward_ready", kind: .gauge, labels: ["topology"],
        help: "1 when /ready answers 200 (partitions assigned and state restored), else 0.")

    public static let all: [Entry] = [
        consumed, sanitized, deadLettered, outputs, committed, aborted, batchDuration, eventTimeLag, consumerLag,
        redactions, rhoSpent, epsilonSpent, overContributionCap, groupMetric, groupStandardError, disparity,
        driftStatistic, driftThreshold, windowEnd, alertsFiring, alertTransitions, deliveriesFailed, restoreProgress, ready,
    ]

    static let byName: [String: Entry] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Batch durations: 1 ms to 30 s.
    public static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30),
    ]
}

/// swift-metrics handlers from a Prometheus registry, with each metric's help text from the
/// catalogue (swift-prometheus's own factory writes none, and `promtool check metrics` asks for it).
public struct DocumentedPrometheusFactory: MetricsFactory {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: MetricCatalogue.byName[label]?.help ?? "")
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)])
        -> any FloatingPointCounterHandler
    {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(
            descriptor: descriptor(label), labels: dimensions, buckets: MetricCatalogue.durationBuckets)
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
