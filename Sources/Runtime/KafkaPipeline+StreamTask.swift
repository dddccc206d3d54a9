import Dispatch
import Foundation
import Kafka
import Logging
import Pipeline
import Synchronization

/// Several instances of one stateful topology (`Options.scaleOut`, `steward run --scale-out`).
///
/// Kafka Streams would split such a topology into two sub-topologies joined by a repartition topic,
/// and so does this: every instance runs the record stages (decode, redaction, scoring — the costly,
/// stateless part) on the input partitions the group assigns it, and hands each record's outcome
/// to `<name>.repartition`, partition 0, in the transaction that commits its input offsets. A
/// second consumer group over that one partition elects one owner of the stream part: that instance
/// restores the stream state from the changelog, merges the hand-offs of every input partition in
/// the same timestamp-synchronised order as a single instance would, and publishes everything —
/// the sanitized events and dead letters the hand-offs carry, then the aggregates, alerts and audit
/// entries — with its state and its repartition offset in one transaction. The published bytes and
/// their order are those of one instance (and of `steward replay`), whatever the number of
/// instances, and the audit log stays one verifiable log. Docs/state.md#scale-out says why this
/// design rather than per-partition partial tallies.
extension KafkaPipeline {
    /// A hand-off read from the repartition topic, waiting in the merge.
    struct ReceivedHandoff: MergeItem {
        let handoff: Handoff
        /// Its own offset in the repartition topic: the stream task commits the smallest one it
        /// still has buffered, so a new owner reads again everything not yet in the state.
        let transportOffset: Int64

        var partition: PartitionID { handoff.source.partitionID }
        var offset: Int64 { handoff.source.offset }
        var eventTime: Int64? { handoff.eventTime }
    }

    /// Where the stream task puts its result for the record stages' thread.
    final class StreamTaskResult: Sendable {
        let value = Mutex<Result<Processor.Counters?, any Error>?>(nil)
        let finished = DispatchSemaphore(value: 0)
    }

    /// Runs the record stages on this thread and the stream task on its own; returns this
    /// instance's record counters with the stream part's `unusedByStreamStages` and `idleMerges`
    /// (cumulative over the topology's life, as the restored state holds them).
    func runScaledOut() throws -> Processor.Counters {
        let result = StreamTaskResult()
        let thread = Thread { [self] in
            let outcome = Result { try runStreamTask() }
            if case .failure = outcome { requestStop() }
            result.value.withLock { $0 = outcome }
            result.finished.signal()
        }
        thread.name = "steward-stream-task"
        thread.start()
        var counters: Processor.Counters
        do {
            counters = try runLoop(handingOff: true)
        } catch {
            requestStop()
            result.finished.wait()
            throw error
        }
        recordStagesDone.store(true, ordering: .relaxed)
        result.finished.wait()
        if let stream = try result.value.withLock({ $0 })?.get() {
            counters.unusedByStreamStages = stream.unusedByStreamStages
            counters.idleMerges = stream.idleMerges
        }
        return counters
    }

    /// The stream part: a standby until the group assigns this instance the repartition partition,
    /// then its owner until that is revoked. Returns the stream counters when it owned the part at
    /// the end, nil otherwise.
    func runStreamTask() throws -> Processor.Counters? {
        let delivery = options.delivery ?? topology.delivery
        let base = kafkaConfiguration
        let transactionalID = "\(options.effectiveTransactionalID)-stream"
        let producer = try makeProducer(delivery: delivery, transactionalID: transactionalID, configuration: base)
        var consumerConfiguration = base
        consumerConfiguration["group.id"] = "\(options.group)-stream"
        // The default (eager) assignment: an instance joining or leaving revokes the partition from
        // its owner, which restores the state again when it comes back. (cooperative-sticky would
        // keep it, but Debian 12's librdkafka 2.0 aborts in that assignor under such churn.)
        let consumer = try KafkaConsumer.make(configuration: consumerConfiguration)
        defer { consumer.close() }
        let topic = topology.output.repartition
        try consumer.subscribe(topics: [topic])

        // Set while this instance owns the stream part.
        var owner: StreamOwner?
        var lastInput = ContinuousClock.now
        // When this instance last owned the stream part (or started).
        var lastOwned = ContinuousClock.now
        let quiet = options.idleTimeout ?? .seconds(5)
        var lastProbe = ContinuousClock.now
        while !stopRequested.load(ordering: .relaxed) {
            let batch = try pollBatch(consumer, limit: options.maxBatch)
            producer.poll()
            for rebalance in consumer.takeRebalances() {
                if let failure = rebalance.failure {
                    throw RuntimeError("the stream task could not apply a rebalance (\(rebalance.kind)): \(failure)")
                }
                guard rebalance.partitions.contains(where: { $0.topic == topic && $0.partition == 0 }) else { continue }
                switch rebalance.kind {
                case .assigned:
                    options.readiness.hold(.stateRestored)
                    let restored = try restoreState(into: initialProcessor, configuration: base)
                    options.readiness.satisfy(.stateRestored)
                    owner = StreamOwner(
                        processor: restored, partitions: try inputPartitions(consumer), maxTaskIdle: options.maxTaskIdle)
                    lastInput = .now
                    logger.info("stream task assigned: this instance runs the stream part", metadata: ["repartition": "\(topic)"])
                case .revoked:
                    // Buffered hand-offs are read again by the next owner from the committed offset.
                    owner = nil
                    lastOwned = .now
                    logger.info("stream task revoked", metadata: ["repartition": "\(topic)"])
                }
            }
            guard var current = owner else {
                // A standby stops with the record stages once every hand-off is in the stream state
                // (another instance drained them, or none came): not before, or a bounded run whose
                // instances all stop together could leave hand-offs nobody processed.
                if recordStagesDone.load(ordering: .relaxed), .now - lastOwned > quiet, .now - lastProbe > .seconds(1) {
                    lastProbe = .now
                    if try !handoffsPending(consumer, configuration: base) { break }
                }
                continue
            }
            for message in batch where message.topic == topic && message.partition == 0 {
                let handoff: Handoff
                do { handoff = try Handoff(decoding: message.value) } catch {
                    throw RuntimeError("\(topic)/0 offset \(message.offset) is not a hand-off Steward wrote: \(error)")
                }
                current.receive(handoff, at: message.offset)
            }
            if !batch.isEmpty { lastInput = .now }
            let batchStarted = ContinuousClock.now
            let before = current
            let caughtUp = consumer.isCaughtUp(topic: topic, partition: 0)
            let idle = current.idlePartitions { partition, next in
                // Idle only if every hand-off so far is read and the input partition itself holds
                // nothing more: its records may still be on their way through another instance's
                // record stages (or wait for a new owner of that input partition).
                guard caughtUp else { return false }
                let high = (try? consumer.watermarks(topic: partition.topic, partition: partition.partition))??.high
                return high.map { $0 <= next } ?? false
            }
            let outputs = current.process(maxBatch: options.maxBatch, idle: idle)
            let processed = current.processor.counters.consumed - before.processor.counters.consumed
            let offset = current.commitOffset
            if processed == 0 && offset == current.committedOffset {
                owner = current
                if recordStagesDone.load(ordering: .relaxed), current.merge.count == 0, .now - lastInput > quiet { break }
                continue
            }
            let changelog = processed > 0 ? try changelogMessages(&current.processor) : []
            // The offset goes with every transaction: a zombie owner's commit then fails on the
            // group generation (KIP-447), whatever else it holds.
            let offsets = offset.map { [TopicPartitionOffset(topic: topic, partition: 0, offset: $0)] } ?? []
            let committed = try commitBatch(
                outputs: outputs, changelog: changelog, offsets: offsets, delivery: delivery, producer: producer,
                consumer: consumer, transactionalID: transactionalID)
            guard committed else {
                var rewound = before
                rewound.forgetBuffered()
                owner = rewound
                try consumer.seek([TopicPartitionOffset(topic: topic, partition: 0, offset: before.committedOffset ?? -2)])
                options.observer?.batchAborted(report(records: 0, [], before.processor, since: batchStarted))
                continue
            }
            current.committedOffset = offset
            owner = current
            options.onCommitted?(outputs)
            if let observer = options.observer {
                // Counters and tallies are the record stages' (the metrics count each input once);
                // the outputs are all of them.
                var counters = progress.withLock { $0 }
                counters.unusedByStreamStages = current.processor.counters.unusedByStreamStages
                counters.idleMerges = current.processor.counters.idleMerges
                observer.batchCommitted(
                    BatchReport(
                        records: 0, outputs: outputs, counters: counters, stageTallies: recordTallies.withLock { $0 },
                        streamTime: current.processor.streamTime, duration: .now - batchStarted))
            }
        }
        guard var current = owner else { return nil }
        try publishFinal(&current.processor, delivery: delivery, producer: producer, consumer: consumer)
        return current.processor.counters
    }
}

extension KafkaPipeline {
    /// Whether the repartition topic holds a hand-off past the stream group's committed offset.
    /// Transaction markers take offsets too, so this reads what lies between (normally nothing).
    func handoffsPending(_ consumer: KafkaConsumer, configuration: KafkaConfiguration) throws -> Bool {
        let topic = topology.output.repartition
        guard let (_, high) = try consumer.watermarks(topic: topic, partition: 0) else { return false }
        let committed = try consumer.committed([TopicPartitionOffset(topic: topic, partition: 0, offset: -1001)])
            .first.map { max($0.offset, 0) } ?? 0
        guard committed < high else { return false }
        let reader = try KafkaConsumer.makeReader(configuration: configuration, group: "\(options.group)-stream-probe")
        defer { reader.close() }
        try reader.assign([TopicPartitionOffset(topic: topic, partition: 0, offset: committed)])
        let deadline = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < deadline {
            if let message = try reader.poll(timeoutMilliseconds: 200) { return message.offset < high }
            if let position = reader.position(topic: topic, partition: 0), position >= high { return false }
        }
        return true
    }
}

/// The stream part's state on its owner: the processor (restored from the changelog), the merge of
/// the hand-offs of every input partition, and where the repartition topic has been read to.
struct StreamOwner: Sendable {
    var processor: Processor
    var merge = MergeQueue<KafkaPipeline.ReceivedHandoff>()
    let partitions: [PartitionID]
    /// Per input partition, the offset after the last hand-off buffered.
    var buffered: [PartitionID: Int64] = [:]
    /// The repartition offset after the last hand-off read.
    var nextRead: Int64?
    /// The repartition offset the last transaction stored.
    var committedOffset: Int64?
    var idleWait: IdleWait

    init(processor: Processor, partitions: [PartitionID], maxTaskIdle: Duration) {
        self.processor = processor
        self.partitions = partitions
        self.idleWait = IdleWait(maxTaskIdle: maxTaskIdle)
        for partition in partitions { merge.open(partition) }
    }

    /// Buffers a hand-off unless the state or the merge has it already (a re-read after a new owner
    /// or an aborted transaction, or a copy a broker showed from an aborted transaction).
    mutating func receive(_ handoff: Handoff, at transportOffset: Int64) {
        nextRead = transportOffset + 1
        let source = handoff.source.partitionID
        let next = max(processor.positions[source] ?? 0, buffered[source] ?? 0)
        guard handoff.source.offset >= next else { return }
        buffered[source] = handoff.source.offset + 1
        if idleWait.arrivesLate(source, eventTime: handoff.eventTime) { processor.countIdleMerge() }
        merge.append(KafkaPipeline.ReceivedHandoff(handoff: handoff, transportOffset: transportOffset))
    }

    /// Input partitions the merge may go on without (`IdleWait`); `isDrained` gets a partition and
    /// the offset of the next hand-off expected from it.
    mutating func idlePartitions(isDrained: (PartitionID, Int64) -> Bool) -> Set<PartitionID> {
        idleWait.idlePartitions(partitions, waiting: Set(merge.waiting)) { partition in
            isDrained(partition, max(processor.positions[partition] ?? 0, buffered[partition] ?? 0))
        }
    }

    /// Takes up to `maxBatch` hand-offs in merged order, going on without the `idle` partitions.
    mutating func process(maxBatch: Int, idle: Set<PartitionID>) -> [OutputMessage] {
        var outputs: [OutputMessage] = []
        var budget = maxBatch
        while budget > 0, let next = merge.next() ?? merge.next(idle: idle) {
            budget -= 1
            if !idle.isEmpty { idleWait.merged(eventTime: next.eventTime, skipping: idle.filter { !merge.hasBuffered($0) }) }
            outputs += processor.process(next.handoff)
        }
        return outputs
    }

    /// The repartition offset to store: the first hand-off still buffered, else past the last read.
    var commitOffset: Int64? {
        merge.heads.map(\.transportOffset).min() ?? nextRead
    }

    /// After an aborted transaction: forget what was buffered; it is read again from the committed offset.
    mutating func forgetBuffered() {
        merge = MergeQueue()
        for partition in partitions { merge.open(partition) }
        buffered = [:]
        nextRead = committedOffset
        idleWait.restart()
    }
}
