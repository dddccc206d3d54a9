import EngineStages
import Foundation
import Kafka
import KafkaTesting
import Logging
import Pipeline
import Synchronization
import Testing

@testable import Runtime

/// The Kafka runtime's failure paths, against the test broker: a transaction that fails at commit
/// and is aborted, and the order of outputs when the input has several partitions.
@Suite(.serialized) struct KafkaFailurePaths {
    /// A stateful topology: fairness counts over one-minute windows, so a processor that kept the
    /// state of an aborted batch would count that batch twice and publish different aggregates; and
    /// an audit entry every 25 records, so one that kept the audit state would chain a different log.
    static func fairnessTopology(_ name: String) throws -> Processor {
        let yaml = """
            name: \(name)
            input:
              topic: \(name)-in
              required: [id]
              event_time: {field: ts}
            delivery: exactly_once
            fairness:
              mode: raw
              sensitive: [group]
              prediction: approved
              label: repaid
              window: {type: tumbling, size: 1m}
              watermark: {max_out_of_orderness: 0s}
              min_group_size: 1
            audit: {every: 25, checkpoint_interval: 2}
            """
        let topology = try Topology.load(yaml: yaml, file: "t.yaml")
        return try topology.makeProcessor(
            file: "t.yaml", environment: EngineEnvironment(baseDirectory: ".", variables: [:], readFile: { _ in [] }))
    }

    static func sortedValues(_ values: [[UInt8]]) -> [[UInt8]] {
        values.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// `commit_transaction` fails once (injected, as an abortable error); the runtime aborts, rewinds
    /// the batch and restores the processor. What it commits is byte for byte what an uninterrupted
    /// run of the same processor produces, in order, and so is what a reader finds on the broker.
    @Test func anAbortedTransactionRollsTheProcessorBackAndRepublishesIdenticalBytes() async throws {
        let name = TestBroker.uniqueName("abort")
        let processor = try Self.fairnessTopology(name)
        let topology = processor.topology
        let lines: [[UInt8]] = (0..<120).map { index in
            if index % 17 == 5 { return Array("{broken \(index)".utf8) }
            let group = index % 3 == 0 ? "a" : "b"
            let approved = (index * 7) % 5 < 3 ? 1 : 0
            let repaid = (index * 11) % 4 < 3 ? 1 : 0
            return Array(
                #"{"id":"r\#(index)","group":"\#(group)","approved":\#(approved),"repaid":\#(repaid),"ts":\#(2000 * index)}"#
                    .utf8)
        }
        let bootstrap = TestBroker.bootstrap
        let producer = try KafkaProducer.make(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        try await blocking {
            for line in lines { try producer.send(ProducerMessage(topic: "\(name)-in", value: line, partition: 0)) }
            try producer.flush()
        }

        // The third transaction fails at commit; by then the processor holds two batches of state. The
        // idle timeout ends the run (and the test, with too few records) if a rewind loses a record.
        let transactions = Atomic<Int>(0)
        let aborted = Mutex<[OutputMessage]>([])
        let committed = Mutex<[OutputMessage]>([])
        let faults = KafkaPipeline.FaultInjection { outputs throws(KafkaError) in
            let number = transactions.add(1, ordering: .relaxed).newValue
            guard number == 3 else { return }
            aborted.withLock { $0 = outputs }
            throw KafkaError(
                code: .transaction, message: "injected commit_transaction failure (test)", requiresAbort: true)
        }
        var options = KafkaPipeline.Options(
            brokers: bootstrap, group: "\(name)-group", properties: ["session.timeout.ms": "6000"], maxBatch: 10,
            maxMessages: lines.count, idleTimeout: .seconds(20))
        options.onCommitted = { outputs in committed.withLock { $0 += outputs } }
        let pipeline = KafkaPipeline(processor: processor, options: options, logger: Logger(label: "test"), faults: faults)
        let counters = try await pipeline.run()

        let replay = Replay.run(processor: processor, input: Array(lines.joined(separator: [0x0A])))
        let abortedOutputs = aborted.withLock { $0 }
        #expect(transactions.load(ordering: .relaxed) > 3)
        #expect(!abortedOutputs.isEmpty)
        #expect(counters == replay.counters)
        let committedOutputs = committed.withLock { $0 }
        for (topic, expected) in replay.outputs {
            let live = committedOutputs.filter { $0.topic == topic }
            #expect(live == expected, "committed \(topic) differs from the uninterrupted run")
        }
        #expect(replay.outputs[topology.output.aggregates]?.isEmpty == false, "the test needs closed windows")

        // What a read_committed reader finds on the broker: exactly the uninterrupted run's messages,
        // plus the aborted copy only on a broker that keeps aborted records visible (ARCHITECTURE.md;
        // librdkafka's mock cluster here hides them). Reading stops at that larger count or 15 s.
        let topics = replay.outputs.filter { !$0.value.isEmpty }.map(\.key)
        let uninterrupted = Self.sortedValues(replay.outputs.values.flatMap { $0.map(\.value) })
        let received = try await blocking {
            try readAll(
                topics: topics, expected: uninterrupted.count + abortedOutputs.count, bootstrap: bootstrap,
                timeout: .seconds(15))
        }
        let receivedValues = Self.sortedValues(received.map(\.value))
        let withAborted = Self.sortedValues(uninterrupted + abortedOutputs.map(\.value))
        #expect(
            receivedValues == uninterrupted || receivedValues == withAborted,
            "received \(received.count) messages; the uninterrupted run published \(uninterrupted.count), aborted \(abortedOutputs.count)")
    }

    /// Records from several input partitions: each output partition holds every input partition's
    /// outputs in that partition's offset order, and every input has exactly one output.
    @Test func outputsKeepEachInputPartitionsOrder() async throws {
        let name = TestBroker.uniqueName("order")
        let input = "\(name)-in"
        let topology = Topology(
            name: name, input: .init(topics: [input], requiredFields: ["id"], eventTimeField: "ts", subjectField: "id"))
        if let cluster = TestBroker.shared.cluster { try cluster.createTopic(input, partitions: 4) }
        let count = 400
        let bootstrap = TestBroker.bootstrap
        let producer = try KafkaProducer.make(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        try await blocking {
            for index in 0..<count {
                let value = index % 23 == 4 ? "{broken \(index)" : #"{"id":"r\#(index)","ts":"2026-01-01T00:00:00Z"}"#
                try producer.send(ProducerMessage(topic: input, key: Array("k\(index % 16)".utf8), value: Array(value.utf8)))
            }
            try producer.flush()
        }
        let pipeline = KafkaPipeline(
            topology: topology,
            options: .init(
                brokers: bootstrap, group: "\(name)-group", properties: ["session.timeout.ms": "6000"], maxBatch: 37,
                maxMessages: count, idleTimeout: .seconds(20)),
            logger: Logger(label: "test"))
        let counters = try await pipeline.run()
        #expect(counters.consumed == count)

        let received = try await blocking {
            try readAll(topics: [topology.output.sanitized, topology.output.deadLetter], expected: count, bootstrap: bootstrap)
        }
        #expect(received.count == count)
        // The event id is the input position, "topic/partition/offset".
        var sources: [String: [Int64]] = [:]
        var ids = Set<String>()
        for message in received {
            let event = try JSONSerialization.jsonObject(with: Data(message.value)) as! [String: Any]
            let id = event["id"] as! String
            ids.insert(id)
            let parts = id.split(separator: "/")
            #expect(parts.count == 3 && parts[0] == input[...])
            let stream = "\(message.topic) \(message.partition) from \(parts[1])"
            sources[stream, default: []].append(Int64(parts[2])!)
        }
        #expect(ids.count == count)
        let inputPartitions = Set(sources.keys.map { $0.split(separator: " ").last! })
        #expect(inputPartitions.count >= 2, "the test needs several input partitions")
        for (stream, offsets) in sources {
            #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count, "\(stream): \(offsets)")
        }
    }
}
