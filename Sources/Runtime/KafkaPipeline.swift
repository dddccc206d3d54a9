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
        /// Called on the pipeline thread with each batch's outputs once they are committed (e.g.
        /// to post alerts to a webhook: only what Kafka consumers can also see is posted).
        public var onCommitted: (@Sendable ([OutputMessage]) -> Void)?

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
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    private let progress = Mutex(Processor.Counters())
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
    public func runBlocking() throws -> Processor.Counters {
        let delivery = options.delivery ?? topology.delivery
        var base = KafkaConfiguration(bootstrapServers: options.brokers, properties: options.properties)
        base.merge(environment: ProcessInfo.processInfo.environment)

        if let partitions = options.createTopicsWithPartitions {
            let output = topology.output
            try KafkaAdmin.createTopics(
                [output.sanitized, output.deadLetter, output.aggregates, output.alerts, output.audit],
                partitions: partitions, configuration: base)
        }

        var consumerConfiguration = base
        consumerConfiguration["group.id"] = options.group
        let consumer = try KafkaConsumer.make(configuration: consumerConfiguration)
        defer { consumer.close() }

        var producerConfiguration = base
        if delivery == .exactlyOnce {
            producerConfiguration["transactional.id"] = options.effectiveTransactionalID
        }
        let producer = try KafkaProducer.make(configuration: producerConfiguration)
        if delivery == .exactlyOnce {
            try producer.initTransactions()
        }
        try consumer.subscribe(topics: topology.input.topics)
        logger.info(
            "pipeline started",
            metadata: [
                "topology": "\(topology.name)", "group": "\(options.group)", "delivery": "\(delivery.rawValue)",
                "instance": "\(options.instanceID)",
                "kafka": "\(base.redactedDescription)",
            ])

        var processor = initialProcessor
        var lastInput = ContinuousClock.now
        var consumed = 0
        while !stopRequested.load(ordering: .relaxed) {
            if let limit = options.maxMessages, consumed >= limit { break }
            let batchLimit = min(options.maxBatch, (options.maxMessages ?? Int.max) - consumed)
            let batch = try pollBatch(consumer, limit: batchLimit)
            producer.poll()
            if batch.isEmpty {
                if let idle = options.idleTimeout, ContinuousClock.now - lastInput > idle { break }
                continue
            }
            lastInput = ContinuousClock.now
            let before = processor
            var outputs: [OutputMessage] = []
            for message in batch {
                outputs += processor.process(
                    InputMessage(
                        topic: message.topic, partition: message.partition, offset: message.offset, key: message.key,
                        value: message.value))
            }
            let committed = try commitBatch(
                batch, outputs: outputs, delivery: delivery, producer: producer, consumer: consumer)
            guard committed else {
                processor = before
                continue
            }
            options.onCommitted?(outputs)
            consumed += batch.count
            let snapshot = processor.counters
            progress.withLock { $0 = snapshot }
        }
        try publishFinal(&processor, delivery: delivery, producer: producer, consumer: consumer)
        logger.info(
            "pipeline stopped",
            metadata: [
                "consumed": "\(processor.counters.consumed)", "sanitized": "\(processor.counters.sanitized)",
                "dead_lettered": "\(processor.counters.deadLettered)",
                "unused_by_stream_stages": "\(processor.counters.unusedByStreamStages)",
            ])
        return processor.counters
    }

    /// Publishes a batch's outputs with its offsets. Returns false when the transaction was
    /// aborted and the batch rewound, so the caller must restore its state and re-read it.
    private func commitBatch(
        _ batch: [ConsumedMessage], outputs: [OutputMessage], delivery: Topology.Delivery, producer: KafkaProducer,
        consumer: KafkaConsumer
    ) throws -> Bool {
        do {
            try publish(outputs, offsets: nextOffsets(batch), delivery: delivery, producer: producer, consumer: consumer)
            return true
        } catch let error as KafkaError {
            if error.isFenced {
                // A newer instance holds this transactional id: stop now, without waiting on an abort
                // that cannot succeed. This batch is not committed; the new holder re-reads it.
                throw KafkaError(
                    code: .transaction,
                    message: "fenced: another instance took over transactional id '\(options.effectiveTransactionalID)'; "
                        + "this instance stops without committing its current batch (\(error.message))",
                    kafkaCode: error.kafkaCode, isFatal: true)
            }
            guard !error.isFatal, delivery == .exactlyOnce else { throw error }
            logger.warning("transaction failed; aborting and re-reading the batch", metadata: ["error": "\(error)"])
            try producer.abortTransaction()
            try consumer.seek(firstOffsets(batch))
            return false
        }
    }

    /// At shutdown, publishes what the processor still owes (the audit log's final, signed entry)
    /// in a transaction of its own; no input offsets go with it.
    private func publishFinal(
        _ processor: inout Processor, delivery: Topology.Delivery, producer: KafkaProducer, consumer: KafkaConsumer
    ) throws {
        let before = processor
        let outputs = processor.finish()
        guard !outputs.isEmpty else { return }
        do {
            try publish(outputs, offsets: [], delivery: delivery, producer: producer, consumer: consumer)
            options.onCommitted?(outputs)
        } catch let error as KafkaError {
            processor = before
            if delivery == .exactlyOnce, !error.isFatal { try? producer.abortTransaction() }
            throw error
        }
    }

    private func pollBatch(_ consumer: KafkaConsumer, limit: Int) throws -> [ConsumedMessage] {
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
        _ outputs: [OutputMessage], offsets: [TopicPartitionOffset], delivery: Topology.Delivery,
        producer: KafkaProducer, consumer: KafkaConsumer
    ) throws {
        switch delivery {
        case .exactlyOnce:
            try producer.beginTransaction()
            for output in outputs {
                try producer.send(ProducerMessage(topic: output.topic, key: output.key, value: output.value))
            }
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
            try producer.flush()
            if !offsets.isEmpty { try consumer.commit(offsets) }
        }
    }

    private func nextOffsets(_ batch: [ConsumedMessage]) -> [TopicPartitionOffset] {
        var next: [String: TopicPartitionOffset] = [:]
        for message in batch {
            let key = "\(message.topic)\u{0}\(message.partition)"
            let candidate = TopicPartitionOffset(topic: message.topic, partition: message.partition, offset: message.offset + 1)
            if let current = next[key], current.offset >= candidate.offset { continue }
            next[key] = candidate
        }
        return next.values.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    private func firstOffsets(_ batch: [ConsumedMessage]) -> [TopicPartitionOffset] {
        var first: [String: TopicPartitionOffset] = [:]
        for message in batch {
            let key = "\(message.topic)\u{0}\(message.partition)"
            if first[key] == nil {
                first[key] = TopicPartitionOffset(topic: message.topic, partition: message.partition, offset: message.offset)
            }
        }
        return Array(first.values)
    }
}

/// Runs blocking work on a new thread, off Swift's cooperative pool, and awaits its result.
func runOnDedicatedThread<Result: Sendable>(
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
