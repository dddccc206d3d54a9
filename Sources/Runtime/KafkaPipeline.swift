import Foundation
import Kafka
import Logging
import Pipeline
import Synchronization

/// The Kafka runtime: consume → process → produce outputs and commit input offsets, in one
/// transaction per batch (or flush-then-commit when transactions are off).
///
/// The loop runs on its own thread because every librdkafka call it makes may block. Stopping is
/// cooperative: `requestStop()` lets the current batch finish and commit, then the consumer
/// leaves the group.
public final class KafkaPipeline: Sendable {
    public struct Options: Sendable {
        public var brokers: String
        public var group: String
        /// Extra librdkafka properties for both clients (TLS, SASL, timeouts, …).
        public var properties: [String: String]
        /// Overrides the topology's delivery setting.
        public var delivery: Topology.Delivery?
        /// Overrides the transactional id, which is otherwise `<group>-<instanceID>`.
        public var transactionalID: String?
        /// This instance's stable identity (a host name, a StatefulSet ordinal, a compose service and
        /// replica): a restarted instance keeps it, so its transactional id fences its own zombie.
        public var instanceID: String
        public var maxBatch: Int
        /// Stop after this many input messages (tests and bounded runs); nil runs until stopped.
        public var maxMessages: Int?
        /// Stop after this long without any input message; nil waits forever.
        public var idleTimeout: Duration?
        /// Create missing output topics with this many partitions before starting (CreateTopics;
        /// not supported by librdkafka's mock cluster, which creates topics on first use).
        public var createTopicsWithPartitions: Int?
        /// How long the merge of several input partitions waits for a partition with nothing
        /// buffered before going on without it (Kafka Streams' `max.task.idle.ms`).
        public var maxTaskIdle: Duration = .milliseconds(500)
        /// The most input records the merge buffers per partition before that partition is paused
        /// at the consumer (Kafka Streams' `buffered.records.per.partition`; `FetchBackpressure`).
        public var bufferedRecordsPerPartition = 1000
        /// How long restoring the stream state from the changelog may take before the run fails.
        public var restoreTimeout: Duration = .seconds(120)
        /// Called on the pipeline thread with each batch's outputs once they are committed (e.g.
        /// to post alerts to a webhook: only what Kafka consumers can also see is posted).
        public var onCommitted: (@Sendable ([OutputMessage]) -> Void)?
        /// Told about every batch and librdkafka's statistics (metrics); see `PipelineObserver`.
        public var observer: (any PipelineObserver)?
        /// What `/ready` reports; the runtime meets `partitionsAssigned` at the first assignment.
        public var readiness = Readiness()
        /// One of several instances of a stateful topology (`--scale-out`): this instance runs the
        /// record stages on the input partitions it is assigned and hands each outcome to the
        /// repartition topic, whose one partition's owner runs the stream part for all of them
        /// (KafkaPipeline+StreamTask.swift). Every instance of the group must set it.
        public var scaleOut = false

        public init(
            brokers: String, group: String, properties: [String: String] = [:], delivery: Topology.Delivery? = nil,
            transactionalID: String? = nil, instanceID: String = Options.hostName(), maxBatch: Int = 500,
            maxMessages: Int? = nil, idleTimeout: Duration? = nil, createTopicsWithPartitions: Int? = nil
        ) {
            self.createTopicsWithPartitions = createTopicsWithPartitions
            self.brokers = brokers
            self.group = group
            self.properties = properties
            self.delivery = delivery
            self.transactionalID = transactionalID
            self.instanceID = instanceID
            self.maxBatch = maxBatch
            self.maxMessages = maxMessages
            self.idleTimeout = idleTimeout
        }

        /// `<group>-<instance id>` unless overridden: stable across restarts, never the process id,
        /// so two containers that are both pid 1 do not fence each other.
        public var effectiveTransactionalID: String { transactionalID ?? "\(group)-\(instanceID)" }

        /// The machine's host name, the default instance id.
        public static func hostName() -> String {
            var buffer = [CChar](repeating: 0, count: 256)
            guard gethostname(&buffer, buffer.count - 1) == 0 else { return "steward" }
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return bytes.isEmpty ? "steward" : String(decoding: bytes, as: UTF8.self)
        }
    }

    public let topology: Topology
    /// The processor as built (engines, empty state); each run starts from a copy.
    let initialProcessor: Processor
    public let options: Options
    let logger: Logger
    let stopRequested = Atomic<Bool>(false)
    let progress = Mutex(Processor.Counters())
    /// With `scaleOut`: the record stages' tallies, for the stream task's reports to the observer.
    let recordTallies = Mutex<[String: [String: Int]]>([:])
    /// With `scaleOut`: the record stages stopped; the stream task drains what is left, then stops.
    let recordStagesDone = Atomic<Bool>(false)
    /// Faults to inject, for tests only: internal, so only `@testable` test code can set it (release
    /// builds are not testable); nil in production, where it costs one nil check per transaction.
    let faults: FaultInjection?

    /// Test-only fault injection into the exactly-once path.
    struct FaultInjection: Sendable {
        /// Called with a transaction's outputs just before `commit_transaction`; an error it throws
        /// is treated as that call's own failure (abort, rewind, restore the processor, re-read).
        var beforeCommitTransaction: @Sendable ([OutputMessage]) throws(KafkaError) -> Void
    }

    public convenience init(topology: Topology, options: Options, logger: Logger) {
        self.init(processor: Processor(topology: topology), options: options, logger: logger)
    }

    public convenience init(processor: Processor, options: Options, logger: Logger) {
        self.init(processor: processor, options: options, logger: logger, faults: nil)
    }

    init(processor: Processor, options: Options, logger: Logger, faults: FaultInjection?) {
        self.topology = processor.topology
        self.initialProcessor = processor
        self.options = options
        self.logger = logger
        self.faults = faults
    }

    public func requestStop() {
        stopRequested.store(true, ordering: .relaxed)
    }

    /// What has been processed and committed so far.
    public var counters: Processor.Counters {
        progress.withLock { $0 }
    }

    /// Runs the loop on a dedicated thread until stopped; returns the final counters.
    public func run() async throws -> Processor.Counters {
        try await runOnDedicatedThread(name: "steward-pipeline") { [self] in try runBlocking() }
    }

    /// The loop itself; blocks the calling thread.
    ///
    /// With stream stages (windows, DP counters, drift, alerts) the loop keeps their state durable:
    /// - it restores the latest state from the changelog topic before reading any input;
    /// - it merges the assigned partitions in `MergeBuffer` order, so windows do not depend on
    ///   how partitions interleave on arrival;
    /// - every transaction carries the outputs, the state (one changelog message) and the input
    ///   positions that state includes, so a restart continues exactly where the state ends.
    public func runBlocking() throws -> Processor.Counters {
        let stateful = !initialProcessor.streamStages.isEmpty || initialProcessor.audit != nil
        return options.scaleOut && stateful ? try runScaledOut() : try runLoop(handingOff: false)
    }

    /// The consume → process → commit loop. `handingOff`: only the record stages, their outcomes
    /// sent to the repartition topic (`scaleOut`); else the whole processor.
    func runLoop(handingOff: Bool) throws -> Processor.Counters {
        let delivery = options.delivery ?? topology.delivery
        let base = kafkaConfiguration
        var processor = initialProcessor
        // Stream stages and the audit log keep state; it is durable and partitions are merged.
        let stateful = !handingOff && (!processor.streamStages.isEmpty || processor.audit != nil)

        if let partitions = options.createTopicsWithPartitions {
            let output = topology.output
            try KafkaAdmin.createTopics(
                [output.sanitized, output.deadLetter, output.aggregates, output.alerts, output.audit],
                partitions: partitions, configuration: base)
            if stateful || handingOff {
                try KafkaAdmin.createTopics(
                    [output.changelog], partitions: 1, topicConfiguration: ["cleanup.policy": "compact"],
                    configuration: base)
            }
            if handingOff {
                try KafkaAdmin.createTopics([output.repartition], partitions: 1, configuration: base)
            }
        }

        let producer = try makeProducer(
            delivery: delivery, transactionalID: options.effectiveTransactionalID, configuration: base)
        if stateful {
            // /ready waits for the state as well as for partitions.
            options.readiness.hold(.stateRestored)
            processor = try restoreState(into: processor, configuration: base)
            options.readiness.setRestoreProgress(1)
            options.readiness.satisfy(.stateRestored)
        }

        var consumerConfiguration = base
        consumerConfiguration["group.id"] = options.group
        if options.observer != nil, consumerConfiguration["statistics.interval.ms"] == nil {
            consumerConfiguration["statistics.interval.ms"] = "5000"
        }
        let consumer = try KafkaConsumer.make(
            configuration: consumerConfiguration, statistics: options.observer.map { observer in observer.kafkaStatistics })
        defer { consumer.close() }
        try consumer.subscribe(topics: topology.input.topics)
        logger.info(
            "pipeline started",
            metadata: [
                "topology": "\(topology.name)", "group": "\(options.group)", "delivery": "\(delivery.rawValue)",
                "part": "\(handingOff ? "record stages (scale-out)" : "whole")",
                "instance": "\(options.instanceID)",
                "kafka": "\(base.redactedDescription)",
            ])

        var merge = MergeBuffer()
        // Windows need every partition; the audit log alone is kept per instance over what it owns.
        let ownsAllPartitions = stateful && !processor.streamStages.isEmpty
        if ownsAllPartitions {
            // The stream stage is one owner of every input partition: the merge waits for all of
            // them, assigned or not yet (after a restart the group may first hand this instance only
            // some, until the previous member's session expires).
            for partition in try inputPartitions(consumer) { merge.open(partition) }
        }
        var assigned: Set<PartitionID> = []
        var warnedOfSharedLog = false
        var everAssigned = false
        var idleWait = IdleWait(maxTaskIdle: options.maxTaskIdle)
        var backpressure = FetchBackpressure(limit: options.bufferedRecordsPerPartition)
        var lastInput = ContinuousClock.now
        var consumed = 0
        var lastAssignmentCheck = ContinuousClock.now - .seconds(1)
        while !stopRequested.load(ordering: .relaxed) {
            checkAssignment(consumer, lastCheck: &lastAssignmentCheck)
            if let limit = options.maxMessages, consumed >= limit { break }
            let batchLimit = min(options.maxBatch, (options.maxMessages ?? Int.max) - consumed)
            if stateful { try applyBackpressure(&backpressure, consumer: consumer, assigned: assigned, merge: merge) }
            let batch = try pollBatch(consumer, limit: batchLimit)
            producer.poll()
            let rebalances = consumer.takeRebalances()
            try applyRebalances(rebalances, assigned: &assigned, merge: &merge, keepRevokedOpen: ownsAllPartitions)
            // The consumer resumes what it gives back; an assignment starts fetching anew.
            for rebalance in rebalances {
                backpressure.forget(rebalance.partitions.map { PartitionID(topic: $0.topic, partition: $0.partition) })
            }
            // The idle timeout counts again from the first assignment: a group that takes long to
            // form (members killed, their sessions still open) is not an input that ran dry.
            if !everAssigned, rebalances.contains(where: { $0.kind == .assigned && !$0.partitions.isEmpty }) {
                everAssigned = true
                lastInput = .now
            }
            if stateful, !ownsAllPartitions, !rebalances.isEmpty, !warnedOfSharedLog, !assigned.isEmpty,
                try assigned.count < inputPartitions(consumer).count
            {
                warnedOfSharedLog = true
                logger.warning(
                    """
                    this instance holds only some input partitions: another instance of the group keeps its own audit log \
                    under the same ids, which does not verify as one; run every instance with --scale-out
                    """)
            }
            if batch.isEmpty && merge.count == 0 {
                if let idle = options.idleTimeout, ContinuousClock.now - lastInput > idle { break }
                continue
            }
            let batchStarted = ContinuousClock.now
            if !batch.isEmpty { lastInput = batchStarted }
            let before = processor
            var outputs: [OutputMessage] = []
            var handoffs: [ProducerMessage] = []
            for message in batch {
                let partition = PartitionID(topic: message.topic, partition: message.partition)
                // Already part of the restored state (a restart between the transaction and the
                // group's own offset commit, or a re-read after a rebalance).
                if let next = processor.positions[partition], message.offset < next { continue }
                let input = InputMessage(
                    topic: message.topic, partition: message.partition, offset: message.offset, key: message.key,
                    value: message.value)
                if handingOff {
                    let record = processor.handOff(processor.prepare(input))
                    handoffs.append(ProducerMessage(topic: record.topic, key: nil, value: record.value, partition: record.partition))
                    continue
                }
                guard stateful else {
                    outputs += processor.process(input)
                    continue
                }
                guard assigned.contains(partition) else { continue }
                let prepared = processor.prepare(input)
                if idleWait.arrivesLate(partition, eventTime: prepared.eventTime) { processor.countIdleMerge() }
                merge.append(prepared)
            }
            if stateful {
                let idle = idleWait.idlePartitions(assigned, waiting: Set(merge.waiting)) { partition in
                    consumer.isCaughtUp(topic: partition.topic, partition: partition.partition)
                }
                // At most a batch per transaction, and never past --max-messages.
                var budget = batchLimit
                while budget > 0, let next = merge.next() ?? merge.next(idle: idle) {
                    budget -= 1
                    if !idle.isEmpty { idleWait.merged(eventTime: next.eventTime, skipping: idle.filter { !merge.hasBuffered($0) }) }
                    outputs += processor.process(next)
                }
            }
            let processed = processor.counters.consumed - before.counters.consumed
            guard processed > 0 else { continue }
            let changelog = stateful ? try changelogMessages(&processor) : handoffs
            let offsets = processor.positions.filter { stateful ? assigned.contains($0.key) : true }
                .filter { before.positions[$0.key] != $0.value }
                .map { TopicPartitionOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value) }
                .sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
            let committed = try commitBatch(
                outputs: outputs, changelog: changelog, offsets: offsets, delivery: delivery, producer: producer,
                consumer: consumer)
            guard committed else {
                // Re-read everything after the last committed state.
                try rewind(consumer, to: before, partitions: stateful ? assigned : Set(batch.map {
                    PartitionID(topic: $0.topic, partition: $0.partition)
                }), batch: batch)
                processor = before
                merge.removeAll()
                options.observer?.batchAborted(report(records: processed, [], processor, since: batchStarted))
                continue
            }
            consumed += processed
            let snapshot = processor.counters
            progress.withLock { $0 = snapshot }
            if handingOff {
                // The stream task reports the outputs; the record stages report what they counted.
                let tallies = processor.stageTallies
                recordTallies.withLock { $0 = tallies }
                options.observer?.batchCommitted(report(records: processed, [], processor, since: batchStarted))
                continue
            }
            options.onCommitted?(outputs)
            options.observer?.batchCommitted(report(records: processed, outputs, processor, since: batchStarted))
        }
        if !handingOff {
            try publishFinal(&processor, delivery: delivery, producer: producer, consumer: consumer)
        }
        logger.info(
            "pipeline stopped",
            metadata: [
                "consumed": "\(processor.counters.consumed)", "sanitized": "\(processor.counters.sanitized)",
                "dead_lettered": "\(processor.counters.deadLettered)",
                "unused_by_stream_stages": "\(processor.counters.unusedByStreamStages)",
                "idle_merges": "\(processor.counters.idleMerges)",
            ])
        return processor.counters
    }

    /// Follows the group's rebalances: new partitions join the merge, revoked ones leave it (their
    /// buffered messages are read again by their next owner). A failed (un)assignment stops the run.
    func applyRebalances(
        _ rebalances: [KafkaConsumer.Rebalance], assigned: inout Set<PartitionID>, merge: inout MergeBuffer,
        keepRevokedOpen: Bool
    ) throws {
        for rebalance in rebalances {
            if let failure = rebalance.failure {
                throw RuntimeError("the consumer could not apply a rebalance (\(rebalance.kind)): \(failure)")
            }
            let partitions = rebalance.partitions.map { PartitionID(topic: $0.topic, partition: $0.partition) }
            switch rebalance.kind {
            case .assigned:
                for partition in partitions {
                    assigned.insert(partition)
                    merge.open(partition)
                }
            case .revoked:
                for partition in partitions {
                    assigned.remove(partition)
                    // Its buffered records are read again by its next owner; with stream stages that
                    // is this instance again, and the merge keeps waiting for it.
                    merge.drop(partition)
                    if keepRevokedOpen { merge.open(partition) }
                }
            }
            logger.info(
                "partitions \(rebalance.kind)",
                metadata: ["partitions": "\(partitions.map { "\($0.topic)/\($0.partition)" }.joined(separator: ","))"])
        }
    }

    /// Pauses the partitions whose merge buffer is full and resumes those it has drained.
    func applyBackpressure(
        _ backpressure: inout FetchBackpressure, consumer: KafkaConsumer, assigned: Set<PartitionID>, merge: MergeBuffer
    ) throws {
        let (pause, resume) = backpressure.update(assigned: assigned) { merge.buffered($0) }
        func offsets(_ partitions: [PartitionID]) -> [TopicPartitionOffset] {
            partitions.map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: -1001) }
        }
        try consumer.pause(offsets(pause))
        try consumer.resume(offsets(resume))
        if !pause.isEmpty || !resume.isEmpty {
            logger.debug(
                "input partitions paused while the merge holds \(options.bufferedRecordsPerPartition) of their records",
                metadata: ["paused": "\(backpressure.paused.map { "\($0.topic)/\($0.partition)" }.sorted())"])
        }
    }

    /// The clients' configuration: the options' brokers and properties, then the environment's.
    var kafkaConfiguration: KafkaConfiguration {
        var base = KafkaConfiguration(bootstrapServers: options.brokers, properties: options.properties)
        base.merge(environment: ProcessInfo.processInfo.environment)
        return base
    }

    /// A producer with Steward's defaults; transactional (and fencing the id's previous holder,
    /// aborting its open transaction) for exactly-once delivery.
    func makeProducer(
        delivery: Topology.Delivery, transactionalID: String, configuration: KafkaConfiguration
    ) throws -> KafkaProducer {
        var producerConfiguration = configuration
        // The changelog's snapshot grows with open windows, pending label joins and DP series (the
        // clicks topology passes 1 MB uncompressed under load): compressed, it stays far below the
        // broker's message limit, and librdkafka checks its own limit before compressing. Both are
        // defaults; `--property` overrides them.
        if producerConfiguration["compression.type"] == nil && producerConfiguration["compression.codec"] == nil {
            producerConfiguration["compression.type"] = "lz4"
        }
        if producerConfiguration["message.max.bytes"] == nil { producerConfiguration["message.max.bytes"] = "67108864" }
        if delivery == .exactlyOnce {
            producerConfiguration["transactional.id"] = transactionalID
        }
        let producer = try KafkaProducer.make(configuration: producerConfiguration)
        if delivery == .exactlyOnce {
            // Fences a previous holder of this transactional id and aborts its open transaction,
            // so the state read next is the last one committed.
            try producer.initTransactions()
        }
        return producer
    }

    /// Every partition of the input topics, from the broker's metadata (waiting for topics that
    /// do not exist yet, as a subscription does).
    func inputPartitions(_ consumer: KafkaConsumer) throws -> [PartitionID] {
        var partitions: [PartitionID] = []
        for topic in topology.input.topics {
            var count = try consumer.partitionCount(topic: topic)
            while count == nil, !stopRequested.load(ordering: .relaxed) {
                logger.notice("waiting for input topic \(topic) to exist")
                Thread.sleep(forTimeInterval: 1)
                count = try consumer.partitionCount(topic: topic)
            }
            partitions += (0..<Int32(count ?? 0)).map { PartitionID(topic: topic, partition: $0) }
        }
        return partitions
    }

    /// After an aborted transaction: moves every partition back to the first message the last
    /// committed state does not include.
    private func rewind(
        _ consumer: KafkaConsumer, to state: Processor, partitions: Set<PartitionID>, batch: [ConsumedMessage]
    ) throws {
        var targets: [TopicPartitionOffset] = []
        var unknown: [TopicPartitionOffset] = []
        for partition in partitions.sorted() {
            if let next = state.positions[partition] {
                targets.append(TopicPartitionOffset(topic: partition.topic, partition: partition.partition, offset: next))
            } else {
                unknown.append(TopicPartitionOffset(topic: partition.topic, partition: partition.partition, offset: -1001))
            }
        }
        if !unknown.isEmpty {
            // Nothing processed from these yet: back to the group's committed offset, or the start.
            for committed in try consumer.committed(unknown) {
                targets.append(
                    TopicPartitionOffset(
                        topic: committed.topic, partition: committed.partition,
                        offset: committed.offset >= 0 ? committed.offset : -2))
            }
        }
        try consumer.seek(targets)
    }

    /// Publishes a batch's outputs, its internal messages (state, or hand-offs to the stream task)
    /// and its offsets. Returns false when the transaction was aborted, so the caller must restore
    /// its state and re-read.
    func commitBatch(
        outputs: [OutputMessage], changelog: [ProducerMessage], offsets: [TopicPartitionOffset],
        delivery: Topology.Delivery, producer: KafkaProducer, consumer: KafkaConsumer, transactionalID: String? = nil
    ) throws -> Bool {
        do {
            try publish(
                outputs, changelog: changelog, offsets: offsets, delivery: delivery, producer: producer, consumer: consumer)
            return true
        } catch let error as KafkaError {
            if error.isFenced {
                // A newer instance holds this transactional id: stop now, without waiting on an abort
                // that cannot succeed. This batch is not committed; the new holder re-reads it.
                throw KafkaError(
                    code: .transaction,
                    message: "fenced: another instance took over transactional id '\(transactionalID ?? options.effectiveTransactionalID)'; "
                        + "this instance stops without committing its current batch (\(error.message))",
                    kafkaCode: error.kafkaCode, isFatal: true)
            }
            guard !error.isFatal, delivery == .exactlyOnce else { throw error }
            logger.warning("transaction failed; aborting and re-reading the batch", metadata: ["error": "\(error)"])
            try producer.abortTransaction()
            return false
        }
    }

    /// At shutdown, publishes what the processor still owes (the audit log's final, signed entry)
    /// in a transaction of its own; no input offsets go with it.
    func publishFinal(
        _ processor: inout Processor, delivery: Topology.Delivery, producer: KafkaProducer, consumer: KafkaConsumer
    ) throws {
        let before = processor
        let outputs = processor.finish()
        guard !outputs.isEmpty else { return }
        let changelog = try changelogMessages(&processor)
        do {
            try publish(
                outputs, changelog: changelog, offsets: [], delivery: delivery, producer: producer, consumer: consumer)
            options.onCommitted?(outputs)
        } catch let error as KafkaError {
            processor = before
            if delivery == .exactlyOnce, !error.isFatal { try? producer.abortTransaction() }
            throw error
        }
    }

    func pollBatch(_ consumer: KafkaConsumer, limit: Int) throws -> [ConsumedMessage] {
        var batch: [ConsumedMessage] = []
        var timeout: Int32 = 100
        while batch.count < limit {
            let polled: ConsumedMessage?
            do {
                polled = try consumer.poll(timeoutMilliseconds: timeout)
            } catch {
                if !error.isRetriable { throw error }
                logger.warning("consumer error", metadata: ["error": "\(error)"])
                break
            }
            guard let message = polled else { break }
            batch.append(message)
            timeout = 0
        }
        return batch
    }

    private func publish(
        _ outputs: [OutputMessage], changelog: [ProducerMessage], offsets: [TopicPartitionOffset],
        delivery: Topology.Delivery, producer: KafkaProducer, consumer: KafkaConsumer
    ) throws {
        switch delivery {
        case .exactlyOnce:
            try producer.beginTransaction()
            for output in outputs {
                try producer.send(ProducerMessage(topic: output.topic, key: output.key, value: output.value))
            }
            for state in changelog { try producer.send(state) }
            if !offsets.isEmpty { try producer.sendOffsetsToTransaction(offsets, consumer: consumer) }
            if let faults { try faults.beforeCommitTransaction(outputs) }
            try producer.commitTransaction()
            // Also store the offsets with a plain commit: equal to what the transaction stored on
            // a real broker, and what keeps restarts correct on brokers that do not persist
            // transactional offsets (librdkafka's mock cluster). Refused there during a rebalance, it
            // leaves the batch to be read again (no loss; the same bytes are published again).
            do {
                if !offsets.isEmpty { try consumer.commit(offsets) }
            } catch {
                logger.notice("plain offset commit after the transaction refused", metadata: ["error": "\(error)"])
            }
        case .atLeastOnce:
            for output in outputs {
                try producer.send(ProducerMessage(topic: output.topic, key: output.key, value: output.value))
            }
            // The state after the outputs: a crash in between re-reads the batch from the older
            // state and publishes the same bytes again (duplicates, never different bytes).
            try producer.flush()
            for state in changelog { try producer.send(state) }
            try producer.flush()
            do {
                if !offsets.isEmpty { try consumer.commit(offsets) }
            } catch {
                guard error.isRebalance else { throw error }
                // The outputs and the state are written; the next owner of these partitions reads
                // the batch again, and the state's positions (or the consumers' de-duplication on
                // the CloudEvent id) make that duplicates, never different bytes.
                logger.notice("offset commit refused during a rebalance", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Runs blocking work on a new thread, off Swift's cooperative pool, and awaits its result.
public func runOnDedicatedThread<Result: Sendable>(
    name: String, _ work: @escaping @Sendable () throws -> Result
) async throws -> Result {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
        let thread = Thread {
            continuation.resume(with: Swift.Result { try work() })
        }
        thread.name = name
        thread.start()
    }
}
