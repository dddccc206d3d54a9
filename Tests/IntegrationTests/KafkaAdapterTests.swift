import Foundation
import Kafka
import KafkaTesting
import Logging
import Pipeline
import Runtime
import Testing

/// Integration tests against a real Kafka-protocol broker on loopback: the one `make test`
/// started with `steward broker` (STEWARD_TEST_BROKERS), or else a mock cluster in this process.
enum TestBroker {
    static let shared: (bootstrap: String, cluster: MockCluster?) = {
        if let given = ProcessInfo.processInfo.environment["STEWARD_TEST_BROKERS"], !given.isEmpty {
            return (given, nil)
        }
        let cluster = try! MockCluster()
        return (cluster.bootstrapServers, cluster)
    }()

    static var bootstrap: String { shared.bootstrap }

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }
}

/// Runs blocking librdkafka calls off the cooperative pool.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// `RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART`.
let unknownTopicOrPartition: Int32 = 3

/// Reads `topics` from the beginning until `expected` messages have come or `timeout` has passed.
/// Any consumer error other than a topic that does not exist yet fails the read.
func readAll(topics: [String], expected: Int, bootstrap: String, timeout: Duration = .seconds(30)) throws -> [ConsumedMessage] {
    let consumer = try KafkaConsumer.make(
        configuration: KafkaConfiguration(
            bootstrapServers: bootstrap,
            properties: ["group.id": TestBroker.uniqueName("reader"), "session.timeout.ms": "6000"]))
    defer { consumer.close() }
    try consumer.subscribe(topics: topics)
    var messages: [ConsumedMessage] = []
    let deadline = ContinuousClock.now + timeout
    while messages.count < expected, ContinuousClock.now < deadline {
        do {
            if let message = try consumer.poll(timeoutMilliseconds: 200) { messages.append(message) }
        } catch {
            // A subscribed topic nobody has written to yet appears with its first message.
            guard error.kafkaCode == unknownTopicOrPartition else { throw error }
        }
    }
    return messages
}

@Suite(.serialized) struct KafkaAdapter {
    @Test func producedMessagesComeBackWithKeysValuesAndOrder() async throws {
        let topic = TestBroker.uniqueName("adapter")
        let bootstrap = TestBroker.bootstrap
        let received = try await blocking {
            let producer = try KafkaProducer.make(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
            for index in 0..<200 {
                try producer.send(
                    ProducerMessage(
                        topic: topic, key: Array("k\(index % 7)".utf8), value: Array("v\(index)".utf8),
                        headers: [("ce_id", Array("id-\(index)".utf8))]))
            }
            try producer.flush()
            return try readAll(topics: [topic], expected: 200, bootstrap: bootstrap)
        }
        #expect(received.count == 200)
        #expect(Set(received.map { String(decoding: $0.value, as: UTF8.self) }) == Set((0..<200).map { "v\($0)" }))
        // Within a partition, order is production order (same key → same partition).
        for key in 0..<7 {
            let values = received.filter { $0.key == Array("k\(key)".utf8) }.map { Int(String(decoding: $0.value.dropFirst(), as: UTF8.self))! }
            #expect(values == values.sorted())
            #expect(Set(received.filter { $0.key == Array("k\(key)".utf8) }.map(\.partition)).count == 1)
        }
    }

    @Test func committedTransactionsDeliverAndOffsetsAreStored() async throws {
        let input = TestBroker.uniqueName("txin")
        let output = TestBroker.uniqueName("txout")
        let group = TestBroker.uniqueName("txgroup")
        let bootstrap = TestBroker.bootstrap
        let result = try await blocking { () -> (Int, [TopicPartitionOffset]) in
            let producer = try KafkaProducer.make(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
            for index in 0..<10 { try producer.send(ProducerMessage(topic: input, value: Array("\(index)".utf8), partition: 0)) }
            try producer.flush()

            let consumer = try KafkaConsumer.make(
                configuration: KafkaConfiguration(
                    bootstrapServers: bootstrap, properties: ["group.id": group, "session.timeout.ms": "6000"]))
            try consumer.subscribe(topics: [input])
            var batch: [ConsumedMessage] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while batch.count < 10, ContinuousClock.now < deadline {
                if let message = try consumer.poll(timeoutMilliseconds: 200) { batch.append(message) }
            }
            let transactional = try KafkaProducer.make(
                configuration: KafkaConfiguration(
                    bootstrapServers: bootstrap, properties: ["transactional.id": TestBroker.uniqueName("tx")]))
            #expect(transactional.isTransactional)
            try transactional.initTransactions()
            try transactional.beginTransaction()
            for message in batch { try transactional.send(ProducerMessage(topic: output, value: message.value)) }
            let next = [TopicPartitionOffset(topic: input, partition: 0, offset: batch.last!.offset + 1)]
            try transactional.sendOffsetsToTransaction(next, consumer: consumer)
            try transactional.commitTransaction()
            try consumer.commit(next)
            let committed = try consumer.committed([TopicPartitionOffset(topic: input, partition: 0, offset: 0)])
            consumer.close()
            return (try readAll(topics: [output], expected: 10, bootstrap: bootstrap).count, committed)
        }
        #expect(result.0 == 10)
        #expect(result.1.first?.offset == 10)
    }

    @Test func invalidConfigurationIsAClearError() {
        #expect(throws: KafkaError.self) {
            _ = try KafkaProducer.make(
                configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["no.such.property": "1"]))
        }
        #expect(throws: KafkaError.self) {
            _ = try KafkaConsumer.make(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
        }
    }

    @Test func secretsAreHiddenInDescriptions() {
        var configuration = KafkaConfiguration(bootstrapServers: "b:9092")
        configuration.merge(environment: ["STEWARD_KAFKA_SASL_PASSWORD": "hunter2", "STEWARD_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"])
        #expect(configuration["sasl.password"] == "hunter2")
        #expect(configuration["security.protocol"] == "SASL_SSL")
        #expect(!configuration.redactedDescription.contains("hunter2"))
    }
}

@Suite(.serialized) struct KafkaRuntime {
    @Test func pipelineProcessesEveryRecordOnceAndMatchesReplay() async throws {
        let name = TestBroker.uniqueName("pipe")
        let topology = Topology(
            name: name, input: .init(topics: ["\(name)-in"], requiredFields: ["id"], eventTimeField: "ts", subjectField: "id"))
        let lines: [[UInt8]] = (0..<300).map { index in
            index % 10 == 3 ? Array("{broken \(index)".utf8) : Array(#"{"id":"r\#(index)","ts":"2026-01-01T00:00:00Z"}"#.utf8)
        }
        let bootstrap = TestBroker.bootstrap
        let producer = try KafkaProducer.make(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        try await blocking {
            for line in lines { try producer.send(ProducerMessage(topic: "\(name)-in", value: line, partition: 0)) }
            try producer.flush()
        }
        let pipeline = KafkaPipeline(
            topology: topology,
            options: .init(
                brokers: bootstrap, group: "\(name)-group", properties: ["session.timeout.ms": "6000"],
                maxMessages: lines.count),
            logger: Logger(label: "test"))
        let counters = try await pipeline.run()
        #expect(counters.consumed == 300)
        #expect(counters.deadLettered == 30)

        let received = try await blocking {
            try readAll(topics: [topology.output.sanitized, topology.output.deadLetter], expected: 300, bootstrap: bootstrap)
        }
        #expect(received.count == 300)
        let replay = Replay.run(topology: topology, input: Array(lines.joined(separator: [0x0A])))
        for topic in [topology.output.sanitized, topology.output.deadLetter] {
            let live = received.filter { $0.topic == topic }.map(\.value).sorted { $0.lexicographicallyPrecedes($1) }
            let offline = replay.outputs[topic]!.map(\.value).sorted { $0.lexicographicallyPrecedes($1) }
            #expect(live == offline)
        }
    }
}
