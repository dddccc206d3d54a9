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
        abstract: "Run the governance job (or one topology) end to end on an embedded broker.",
        discussion: """
            With no --topology and no --input: starts librdkafka's mock cluster in this process, runs \
            the chats, finance and clicks topologies on the Kafka runtime, feeds each from \
            `steward generate` (--rate records/s each; chats gets a drift in region north midway), \
            shows a live view (records/s, dead letters, redactions, noisy counts with the privacy \
            budget, selection rates per group, alerts), serves the status page, and stops after \
            --duration seconds or Ctrl-C. Without a noise key in the environment it makes one for the run.

            With --topology or --input (default Topologies/passthrough.yaml and its samples): \
            produces the sample records to the topology's input topic, runs the topology with the \
            Kafka runtime until every record is processed, prints each output topic, and checks that \
            `steward replay` on the same lines gives byte-identical messages.
            """
    )

    @Option(help: "The topology file (runs this topology over --input instead of the governance job).")
    var topology: String?

    @Option(help: "Sample records, one message value per line (with --topology).")
    var input: String?

    @Option(help: "Governance job: records per second fed to each topology.")
    var rate: Double = 250

    @Option(help: "Governance job: seconds to run before stopping.")
    var duration: Double = 60

    @Option(help: "Governance job: folder of the shipped topologies (and ../Models).")
    var topologies: String = "Topologies"

    @OptionGroup var http: HTTPOptions

    @Option(help: "With HTTP on, keep serving the status page and metrics this many seconds after the run.")
    var serveFor: Double = 0

    func validate() throws {
        guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be positive") }
        guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be positive") }
    }

    func run() async throws {
        guard topology != nil || input != nil else {
            let port = try http.port()
            let demo = GovernanceDemo(
                rate: rate, duration: duration, topologies: topologies, http: port.map { ($0, http.host()) })
            try await demo.run()
            return
        }
        let input = self.input ?? "Topologies/samples/passthrough.jsonl"
        let processor = try loadProcessor(self.topology ?? "Topologies/passthrough.yaml")
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
