import Kafka
import Pipeline
import Synchronization

/// Watches the Kafka runtime from outside its hot path: called on the pipeline thread once per
/// batch, never per record, so an observer must return quickly (tally, set a few numbers).
public protocol PipelineObserver: Sendable {
    /// A batch's outputs and input offsets were committed.
    func batchCommitted(_ report: BatchReport)
    /// A batch's transaction was aborted; the processor was rolled back and the batch is read again.
    func batchAborted(_ report: BatchReport)
    /// librdkafka's statistics JSON (`statistics.interval.ms`), delivered while the consumer polls.
    func kafkaStatistics(_ json: [UInt8])
}

/// One batch as the runtime saw it.
public struct BatchReport: Sendable {
    /// Input messages in the batch.
    public var records: Int
    /// What the batch published (empty for an aborted batch).
    public var outputs: [OutputMessage]
    /// The processor's counters after the batch (cumulative since the run started; for an aborted
    /// batch, the counters it was rolled back to).
    public var counters: Processor.Counters
    /// Tallies the record stages keep (`TallyingStage`), cumulative, by stage name.
    public var stageTallies: [String: [String: Int]]
    /// The largest event time seen so far, in milliseconds since the epoch.
    public var streamTime: Int64?
    /// From the end of the poll to the end of the commit (or abort).
    public var duration: Duration

    public init(
        records: Int, outputs: [OutputMessage], counters: Processor.Counters, stageTallies: [String: [String: Int]],
        streamTime: Int64?, duration: Duration
    ) {
        self.records = records
        self.outputs = outputs
        self.counters = counters
        self.stageTallies = stageTallies
        self.streamTime = streamTime
        self.duration = duration
    }
}

/// Whether the service may take traffic (`/ready`): every condition it waits for is met.
///
/// The Kafka runtime waits for `partitionsAssigned` and meets it at the first assignment; a
/// runtime that restores state holds `stateRestored` until the restore is done and reports its
/// progress meanwhile.
public final class Readiness: Sendable {
    /// Something readiness waits for.
    public struct Condition: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let partitionsAssigned = Condition("partitions_assigned")
        public static let stateRestored = Condition("state_restored")
    }

    private struct State {
        var pending: Set<Condition>
        var restoreProgress: Double
    }

    private let state: Mutex<State>

    public init(waitingFor conditions: Set<Condition> = [.partitionsAssigned]) {
        state = Mutex(State(pending: conditions, restoreProgress: conditions.contains(.stateRestored) ? 0 : 1))
    }

    public var isReady: Bool { state.withLock { $0.pending.isEmpty } }

    /// The conditions not met yet, sorted by name.
    public var pending: [Condition] { state.withLock { $0.pending.sorted { $0.name < $1.name } } }

    /// Makes readiness wait for `condition` (again).
    public func hold(_ condition: Condition) {
        state.withLock {
            $0.pending.insert(condition)
            if condition == .stateRestored { $0.restoreProgress = 0 }
        }
    }

    /// `condition` is met.
    public func satisfy(_ condition: Condition) {
        state.withLock {
            $0.pending.remove(condition)
            if condition == .stateRestored { $0.restoreProgress = 1 }
        }
    }

    /// How far the state restore is, from 0 to 1 (1 when there is nothing to restore).
    public var restoreProgress: Double { state.withLock { $0.restoreProgress } }

    public func setRestoreProgress(_ fraction: Double) {
        state.withLock { $0.restoreProgress = min(1, max(0, fraction)) }
    }
}

extension KafkaPipeline {
    /// Meets `partitionsAssigned` once the consumer has partitions (checked at most every 200 ms
    /// until then; `rd_kafka_assignment` does not block).
    func checkAssignment(_ consumer: KafkaConsumer, lastCheck: inout ContinuousClock.Instant) {
        guard !options.readiness.isReady, ContinuousClock.now - lastCheck >= .milliseconds(200) else { return }
        lastCheck = ContinuousClock.now
        if !consumer.assignment().isEmpty { options.readiness.satisfy(.partitionsAssigned) }
    }

    func report(
        records: Int, _ outputs: [OutputMessage], _ processor: Processor, since start: ContinuousClock.Instant
    ) -> BatchReport {
        BatchReport(
            records: records, outputs: outputs, counters: processor.counters, stageTallies: processor.stageTallies,
            streamTime: processor.streamTime, duration: ContinuousClock.now - start)
    }
}

extension Processor {
    /// Every tallying record stage's counts, by stage name.
    var stageTallies: [String: [String: Int]] {
        var tallies: [String: [String: Int]] = [:]
        for stage in stages {
            if let tallying = stage as? any TallyingStage { tallies[tallying.name] = tallying.tallies }
        }
        return tallies
    }
}
