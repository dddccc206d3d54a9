import CoreMetrics
import EngineStages
import Fairness
import Foundation
import Pipeline
import Privacy
import Runtime
import Synchronization

/// The metrics of one topology's Kafka run, fed by the runtime once per batch (`PipelineObserver`):
/// counts are differences of the processor's cumulative counters, so a batch costs a handful of
/// increments whatever its size. Also keeps what the status page shows (`snapshot()`).
public final class PipelineMetrics: PipelineObserver {
    public let topology: String
    public let readiness: Readiness
    let factory: any MetricsFactory
    /// Read at scrape time: alert deliveries that failed (from the delivery service).
    let deliveryFailures: (@Sendable () -> Int)?
    private let state: Mutex<State>

    /// Fixed handles, made once.
    let consumed: Counter
    let sanitized: Counter
    let committed: Counter
    let aborted: Counter
    let batchDuration: CoreMetrics.Timer
    let eventTimeLag: Gauge
    let rhoSpent: Gauge
    let epsilonSpent: Gauge
    let windowEnd: Gauge
    let alertsFiring: Gauge
    let deliveriesFailed: Counter
    let restoreProgress: Gauge
    let ready: Gauge

    struct State {
        var counters = Processor.Counters()
        var tallies: [String: [String: Int]] = [:]
        var streamTime: Int64?
        var deliveryFailuresSeen = 0
        /// Per releasing part (the fairness windows, each aggregate): its latest budget spent and
        /// the records it left out over the caps, which the privacy gauges and counter add up.
        var rhoSpentByPart: [String: Double] = [:]
        var overCapByPart: [String: Int] = [:]
        /// Handles with labels beyond the topology, made on first use.
        var counterHandles: [String: Counter] = [:]
        var gaugeHandles: [String: Gauge] = [:]
        var board = StatusSnapshot.Topology()
    }

    public init(
        topology: String, readiness: Readiness, factory: any MetricsFactory,
        deliveryFailures: (@Sendable () -> Int)? = nil
    ) {
        self.topology = topology
        self.readiness = readiness
        self.factory = factory
        self.deliveryFailures = deliveryFailures
        let labels = [("topology", topology)]
        consumed = Counter(label: MetricCatalogue.consumed.name, dimensions: labels, factory: factory)
        sanitized = Counter(label: MetricCatalogue.sanitized.name, dimensions: labels, factory: factory)
        committed = Counter(label: MetricCatalogue.committed.name, dimensions: labels, factory: factory)
        aborted = Counter(label: MetricCatalogue.aborted.name, dimensions: labels, factory: factory)
        batchDuration = CoreMetrics.Timer(label: MetricCatalogue.batchDuration.name, dimensions: labels, factory: factory)
        eventTimeLag = Gauge(label: MetricCatalogue.eventTimeLag.name, dimensions: labels, factory: factory)
        rhoSpent = Gauge(label: MetricCatalogue.rhoSpent.name, dimensions: labels, factory: factory)
        epsilonSpent = Gauge(label: MetricCatalogue.epsilonSpent.name, dimensions: labels, factory: factory)
        windowEnd = Gauge(label: MetricCatalogue.windowEnd.name, dimensions: labels, factory: factory)
        alertsFiring = Gauge(label: MetricCatalogue.alertsFiring.name, dimensions: labels, factory: factory)
        deliveriesFailed = Counter(label: MetricCatalogue.deliveriesFailed.name, dimensions: labels, factory: factory)
        restoreProgress = Gauge(label: MetricCatalogue.restoreProgress.name, dimensions: labels, factory: factory)
        ready = Gauge(label: MetricCatalogue.ready.name, dimensions: labels, factory: factory)
        alertsFiring.record(0)
        var board = StatusSnapshot.Topology()
        board.name = topology
        state = Mutex(State(board: board))
        // Every dead-letter reason and alert status is exposed from the start, at 0, so rates and
        // dashboards have a series before the first occurrence (Prometheus' advice for known labels).
        state.withLock { state in
            for reason in DeadLetterReason.allCases {
                _ = counter(MetricCatalogue.deadLettered, ["reason": reason.rawValue], in: &state)
            }
            for status in [AlertEvent.Status.firing, .resolved] {
                _ = counter(MetricCatalogue.alertTransitions, ["status": status.rawValue], in: &state)
            }
        }
        refresh()
    }

    // MARK: PipelineObserver

    public func batchCommitted(_ report: BatchReport) {
        let now = Date().timeIntervalSince1970
        batchDuration.recordNanoseconds(Self.nanoseconds(report.duration))
        committed.increment()
        state.withLock { state in
            let before = state.counters
            let after = report.counters
            consumed.increment(by: after.consumed - before.consumed)
            sanitized.increment(by: after.sanitized - before.sanitized)
            for (reason, count) in after.deadLettersByReason {
                let delta = count - (before.deadLettersByReason[reason] ?? 0)
                if delta > 0 {
                    counter(MetricCatalogue.deadLettered, ["reason": reason], in: &state).increment(by: delta)
                }
            }
            state.counters = after
            for (stage, tallies) in report.stageTallies where stage == "redaction" {
                let seen = state.tallies[stage] ?? [:]
                for (entity, count) in tallies where count > (seen[entity] ?? 0) {
                    counter(MetricCatalogue.redactions, ["entity": entity], in: &state).increment(
                        by: count - (seen[entity] ?? 0))
                }
            }
            state.tallies = report.stageTallies
            if let time = report.streamTime { state.streamTime = time }

            var perTopic: [String: Int] = [:]
            for output in report.outputs {
                perTopic[output.topic, default: 0] += 1
                guard let notice = output.notice else { continue }
                if let window = notice as? WindowNotice {
                    record(window, in: &state)
                } else if let aggregate = notice as? AggregateNotice {
                    record(aggregate, in: &state)
                } else if let alert = notice as? AlertEvent {
                    record(alert, in: &state)
                }
            }
            for (topic, count) in perTopic {
                counter(MetricCatalogue.outputs, ["topic": topic], in: &state).increment(by: count)
            }
            state.board.counters = after
            state.board.redactions = state.tallies["redaction"] ?? [:]
            state.board.throughput.append(.init(time: now, consumed: after.consumed))
            state.board.throughput.removeAll { now - $0.time > StatusSnapshot.throughputSpan }
            state.board.batches += 1
        }
    }

    public func batchAborted(_ report: BatchReport) {
        aborted.increment()
        state.withLock { $0.board.aborted += 1 }
    }

    public func kafkaStatistics(_ json: [UInt8]) {
        let lags = KafkaStatistics.consumerLag(json)
        state.withLock { state in
            for lag in lags {
                gauge(MetricCatalogue.consumerLag, ["topic": lag.topic, "partition": "\(lag.partition)"], in: &state)
                    .record(lag.lag)
            }
            state.board.consumerLag = lags
        }
    }

    // MARK: Scrape time

    /// Sets what depends on the time of the scrape or lives elsewhere (lag, readiness, restore
    /// progress, failed deliveries); called before each exposition.
    public func refresh(now: Date = Date()) {
        let isReady = readiness.isReady
        ready.record(isReady ? 1 : 0)
        restoreProgress.record(readiness.restoreProgress)
        let failures = deliveryFailures?() ?? 0
        state.withLock { state in
            if let time = state.streamTime {
                eventTimeLag.record(max(0, now.timeIntervalSince1970 - Double(time) / 1000))
            }
            if failures > state.deliveryFailuresSeen {
                deliveriesFailed.increment(by: failures - state.deliveryFailuresSeen)
                state.deliveryFailuresSeen = failures
            }
            state.board.ready = isReady
            state.board.pending = readiness.pending.map(\.name)
            state.board.restoreProgress = readiness.restoreProgress
            state.board.deliveryFailures = failures
            state.board.streamTime = state.streamTime
        }
    }

    /// What the status page shows for this topology.
    public func snapshot(now: Date = Date()) -> StatusSnapshot.Topology {
        refresh(now: now)
        return state.withLock { $0.board }
    }

    // MARK: Recording

    /// A person's budget from the whole topology: zCDP composes by adding the parts' ρ; ε at the
    /// conversion's δ.
    private func recordSpent(_ privacy: PrivacyStatement, part: String, in state: inout State) {
        state.rhoSpentByPart[part] = privacy.rhoSpent
        let total = Accountant.composeDecimals(Array(state.rhoSpentByPart.values))
        rhoSpent.record(total)
        epsilonSpent.record(Accountant.epsilon(rho: total, delta: privacy.delta))
    }

    private func recordOverCap(_ count: Int, part: String, in state: inout State) {
        let seen = state.overCapByPart[part] ?? 0
        guard count > seen else { return }
        counter(MetricCatalogue.overContributionCap, [:], in: &state).increment(by: count - seen)
        state.overCapByPart[part] = count
    }

    private func record(_ notice: AggregateNotice, in state: inout State) {
        recordSpent(notice.privacy, part: "aggregate/\(notice.aggregate)", in: &state)
        recordOverCap(Int(notice.overContributionCap), part: "aggregate/\(notice.aggregate)", in: &state)
    }

    private func record(_ notice: WindowNotice, in state: inout State) {
        let evaluation = notice.evaluation
        windowEnd.record(Double(evaluation.window.end) / 1000)
        if let privacy = notice.privacy { recordSpent(privacy, part: "fairness", in: &state) }
        recordOverCap(notice.counters.overContributionCap, part: "fairness", in: &state)
        for (attribute, report) in evaluation.reports {
            for (group, metrics) in report.groups {
                var values: [(String, MetricValue)] = [("selection_rate", metrics.selectionRate)]
                if let rate = metrics.truePositiveRate { values.append(("true_positive_rate", rate)) }
                if let rate = metrics.falsePositiveRate { values.append(("false_positive_rate", rate)) }
                if let score = metrics.meanScore { values.append(("mean_score", score)) }
                for (metric, value) in values {
                    let labels = ["attribute": attribute, "group": group, "metric": metric]
                    // An insufficient group publishes no value: the gauge is NaN, never 0.
                    let estimate = value.estimate
                    gauge(MetricCatalogue.groupMetric, labels, in: &state).record(estimate?.value ?? .nan)
                    gauge(MetricCatalogue.groupStandardError, labels, in: &state).record(
                        estimate?.standardError ?? .nan)
                }
            }
            for metric in FairnessMetric.allCases {
                guard let disparity = report.disparities[metric] else { continue }
                gauge(MetricCatalogue.disparity, ["attribute": attribute, "metric": metric.rawValue], in: &state)
                    .record(disparity.value.estimate?.value ?? .nan)
            }
        }
        for drift in evaluation.drift {
            let labels = ["attribute": drift.attribute, "metric": drift.metric.rawValue]
            gauge(MetricCatalogue.driftStatistic, labels, in: &state).record(drift.statistic)
            gauge(MetricCatalogue.driftThreshold, labels, in: &state).record(drift.threshold)
        }
        state.board.windows.append(notice)
        if state.board.windows.count > StatusSnapshot.windowsKept {
            state.board.windows.removeFirst(state.board.windows.count - StatusSnapshot.windowsKept)
        }
    }

    private func record(_ alert: AlertEvent, in state: inout State) {
        counter(MetricCatalogue.alertTransitions, ["status": alert.status.rawValue], in: &state).increment()
        switch alert.status {
        case .firing: state.board.firing[alert.dedupKey] = alert
        case .resolved: state.board.firing[alert.dedupKey] = nil
        }
        state.board.transitions.append(alert)
        if state.board.transitions.count > StatusSnapshot.transitionsKept {
            state.board.transitions.removeFirst(state.board.transitions.count - StatusSnapshot.transitionsKept)
        }
        alertsFiring.record(state.board.firing.count)
    }

    private func key(_ entry: MetricCatalogue.Entry, _ labels: [String: String]) -> (String, [(String, String)]) {
        let dimensions = [("topology", topology)] + entry.labels.dropFirst().map { ($0, labels[$0] ?? "") }
        return (entry.name + dimensions.map { "\u{0}\($0.1)" }.joined(), dimensions)
    }

    private func counter(_ entry: MetricCatalogue.Entry, _ labels: [String: String], in state: inout State) -> Counter {
        let (key, dimensions) = key(entry, labels)
        if let handle = state.counterHandles[key] { return handle }
        let handle = Counter(label: entry.name, dimensions: dimensions, factory: factory)
        state.counterHandles[key] = handle
        return handle
    }

    private func gauge(_ entry: MetricCatalogue.Entry, _ labels: [String: String], in state: inout State) -> Gauge {
        let (key, dimensions) = key(entry, labels)
        if let handle = state.gaugeHandles[key] { return handle }
        let handle = Gauge(label: entry.name, dimensions: dimensions, factory: factory)
        state.gaugeHandles[key] = handle
        return handle
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// What the status page shows, copied out of the metrics under their lock.
public enum StatusSnapshot {
    /// Windows kept per topology, and alert transitions.
    public static let windowsKept = 6
    public static let transitionsKept = 20
    /// Throughput is averaged over this many seconds.
    public static let throughputSpan = 30.0

    public struct Sample: Sendable {
        public var time: Double
        public var consumed: Int
    }

    public struct Topology: Sendable {
        public var name = ""
        public var counters = Processor.Counters()
        public var redactions: [String: Int] = [:]
        public var batches = 0
        public var aborted = 0
        public var throughput: [Sample] = []
        public var consumerLag: [KafkaStatistics.PartitionLag] = []
        public var streamTime: Int64?
        public var windows: [WindowNotice] = []
        public var firing: [String: AlertEvent] = [:]
        public var transitions: [AlertEvent] = []
        public var deliveryFailures = 0
        public var ready = false
        public var pending: [String] = []
        public var restoreProgress = 1.0

        /// Records per second over the last `throughputSpan` seconds (0 with fewer than two batches).
        public var recordsPerSecond: Double {
            guard let first = throughput.first, let last = throughput.last, last.time > first.time else { return 0 }
            return Double(last.consumed - first.consumed) / (last.time - first.time)
        }
    }
}
