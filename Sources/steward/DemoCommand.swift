import ArgumentParser
import CommandSupport
import EngineStages
import Foundation
import Kafka
import KafkaTesting
import Logging
import Pipeline
import Monitoring
import Runtime
import ServiceLifecycle

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a topology end to end on an embedded broker and show what came out.",
        discussion: """
            Starts librdkafka's mock cluster in this process, produces the sample records to the \
            topology's input topic, runs the topology with the Kafka runtime until every record is \
            processed, prints each output topic, and checks that `steward replay` on the same lines \
            gives byte-identical messages.
            """
    )

    @Option(help: "The topology file.")
    var topology: String = "Topologies/passthrough.yaml"

    @Option(help: "Sample records, one message value per line.")
    var input: String = "Topologies/samples/passthrough.jsonl"

    @OptionGroup var http: HTTPOptions

    @Option(help: "With HTTP on, keep serving the status page and metrics this many seconds after the run.")
    var serveFor: Double = 0

    func run() async throws {
        let processor = try loadProcessor(self.topology)
        let topology = processor.topology
        guard let data = FileManager.default.contents(atPath: input) else {
            throw ValidationError("cannot read sample records \(input)")
        }
        let lines = Replay.lines(of: Array(data)).map { Array($0) }
        let cluster = try MockCluster()
        let inputTopic = topology.input.topics[0]
        try cluster.createTopic(inputTopic, partitions: 1)
        var outputs = [topology.output.sanitized, topology.output.deadLetter]
        if !processor.streamStages.isEmpty { outputs += [topology.output.aggregates, topology.output.alerts] }
        // The audit log too: the Kafka run's entries must equal the replay's, byte for byte.
        if processor.audit != nil { outputs.append(topology.output.audit) }
        for topic in outputs { try cluster.createTopic(topic, partitions: 1) }
        printLine("embedded broker: \(cluster.bootstrapServers)")

        let producer = try KafkaProducer.make(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        for line in lines {
            try producer.send(ProducerMessage(topic: inputTopic, value: line, partition: 0))
        }
        try producer.flush()
        printLine("produced \(lines.count) records to \(inputTopic)")

        var logger = Logger(label: "steward")
        logger.logLevel = .warning
        var options = KafkaPipeline.Options(
            brokers: cluster.bootstrapServers, group: "steward-demo", maxMessages: lines.count)
        var server: ServiceGroup?
        if let port = try http.port() {
            let operations = Operations(options: .init(host: http.host(), port: port), logger: logger)
            let metrics = PipelineMetrics(
                topology: topology.name, readiness: options.readiness, factory: operations.factory)
            options.observer = metrics
            let group = ServiceGroup(
                configuration: .init(services: [operations.service(for: [metrics])], logger: logger))
            server = group
            Task {
                do { try await group.run() } catch { logger.error("http service failed", metadata: ["error": "\(error)"]) }
            }
            printLine("status page: http://\(http.host() == "0.0.0.0" ? "127.0.0.1" : http.host()):\(port)/")
        }
        defer { if let server { Task { await server.triggerGracefulShutdown() } } }
        let pipeline = KafkaPipeline(processor: processor, options: options, logger: logger)
        let counters = try await pipeline.run()
        printLine("processed: \(summaryJSON(counters))")

        let consumer = try KafkaConsumer.make(
            configuration: KafkaConfiguration(
                bootstrapServers: cluster.bootstrapServers, properties: ["group.id": "steward-demo-reader"]))
        try consumer.assign(outputs.map { TopicPartitionOffset(topic: $0, partition: 0, offset: -2) })
        var received: [String: [[UInt8]]] = [:]
        let replayed = Replay.run(processor: processor, input: Array(data)).outputs
        let expected = outputs.reduce(0) { $0 + (replayed[$1]?.count ?? 0) }
        let deadline = ContinuousClock.now + .seconds(20)
        while received.values.reduce(0, { $0 + $1.count }) < expected, ContinuousClock.now < deadline {
            if let message = try consumer.poll(timeoutMilliseconds: 200) {
                received[message.topic, default: []].append(message.value)
            }
        }
        consumer.close()

        var identical = true
        for topic in outputs {
            let messages = received[topic] ?? []
            printLine("\n== \(topic) (\(messages.count) messages)")
            for message in messages { printLine(String(decoding: message, as: UTF8.self)) }
            identical = identical && messages == (replayed[topic] ?? []).map(\.value)
        }
        printLine("\nreplay of the same lines gives byte-identical messages: \(identical ? "yes" : "NO")")
        if server != nil, serveFor > 0 { try await Task.sleep(for: .milliseconds(Int(serveFor * 1000))) }
        if !identical || counters.consumed != lines.count { throw ExitCode(1) }
    }
}
