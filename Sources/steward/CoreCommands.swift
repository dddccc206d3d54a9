import ArgumentParser
import CommandSupport
import EngineStages
import Fairness
import Foundation
import Kafka
import KafkaTesting
import Logging
import Monitoring
import Pipeline
import Runtime
import ServiceLifecycle
import TopologyYAML
import UnixSignals

/// The pipeline verbs: broker, run, replay, validate, demo.
var coreCommands: [any ParsableCommand.Type] {
    [BrokerCommand.self, RunCommand.self, ReplayCommand.self, ValidateCommand.self, DemoCommand.self, GenerateCommand.self]
}

struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Host an embedded Kafka-protocol cluster (librdkafka's mock cluster) on 127.0.0.1.",
        discussion: """
            Prints the bootstrap address on standard output, then serves until SIGTERM or SIGINT. \
            Clients bootstrap on --port; the cluster's brokers listen on ports of their own, which \
            the Metadata reply tells clients. For tests and demos: the mock keeps at most about \
            5 MiB per partition and does not write transaction markers.
            """
    )

    @Option(help: "Bootstrap port on 127.0.0.1 (0 picks a free port).")
    var port: UInt16 = 9092

    @Option(help: "Partitions of each topic created with --topic.")
    var partitions: Int = 16

    @Option(name: .customLong("topic"), help: "Create this topic (repeatable).")
    var topics: [String] = []

    @Option(help: "Number of brokers in the cluster.")
    var brokers: Int = 1

    func run() async throws {
        let topics = topics
        let broker = EmbeddedBroker(
            options: .init(port: port, brokers: brokers, partitions: partitions, topics: topics)
        ) { started in
            printLine(started.bootstrap)
            FileHandle.standardError.write(
                Data(
                    ("steward broker: mock cluster \(started.clusterBrokers), bootstrap \(started.bootstrap), "
                        + "topics: \(topics.joined(separator: ", "))\n").utf8))
        }
        var logger = Logger(label: "steward.broker")
        logger.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: broker)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a topology against Kafka.",
        discussion: """
            Consumes the topology's input topics in a consumer group, processes each record, and \
            publishes outputs and the input offsets in one transaction per batch (delivery: \
            exactly_once), or flushes outputs and then commits offsets (at_least_once, for brokers \
            without transactions; consumers de-duplicate on the CloudEvent id). SIGTERM or SIGINT \
            finishes the current batch, commits it and leaves the group. librdkafka properties \
            (TLS, SASL, …) come from --property or STEWARD_KAFKA_* environment variables \
            (STEWARD_KAFKA_SASL_PASSWORD sets sasl.password). Prints a JSON summary at exit.
            """
    )

    @Argument(help: "The topology file.")
    var topology: String

    @Option(help: "Bootstrap servers.")
    var brokers: String = "127.0.0.1:9092"

    @Option(help: "Consumer group id (default: steward-<topology name>).")
    var group: String?

    @Option(help: "Override the topology's delivery: exactly_once or at_least_once.")
    var delivery: String?

    @Option(name: .customLong("property"), help: "A librdkafka property key=value for both clients (repeatable).")
    var properties: [String] = []

    @Option(help: "Transactional id (default: <group>-<instance id>).")
    var transactionalId: String?

    @Option(
        help: """
            This instance's stable identity, kept across restarts (default: STEWARD_INSTANCE_ID, else the \
            host name). Each instance of a group needs its own.
            """)
    var instanceId: String?

    @Option(help: "Stop after this many input messages.")
    var maxMessages: Int?

    @Option(help: "Stop after this many seconds without input (counted from the start, and again from the first partition assignment).")
    var idleTimeout: Double?

    @Option(help: "Largest batch per transaction.")
    var maxBatch: Int = 500

    @Option(
        help: "With stream stages: how long (milliseconds) the merge of several input partitions waits for a partition with nothing buffered before going on without it (Kafka Streams' max.task.idle.ms)."
    )
    var maxTaskIdleMs: Int = 500

    @Option(
        help: "With a stateful topology: the most input records the merge buffers per partition before pausing that partition's fetches, so an instance behind its input stays in bounded memory (Kafka Streams' buffered.records.per.partition)."
    )
    var bufferedRecordsPerPartition: Int = 1000

    @Option(help: "Create missing output topics with this many partitions first (not on the mock cluster).")
    var createTopics: Int?

    @Flag(
        help: """
            Run as one of several instances of this topology (every instance of the group passes it): the \
            record stages on the input partitions this instance is assigned, and the stream part \
            (windows, DP, fairness, alerts, audit) on the one instance that owns <name>.repartition. \
            The published bytes are those of one instance. Topologies without a stream part scale out \
            without it.
            """)
    var scaleOut = false

    @OptionGroup var logs: LogOptions

    @OptionGroup var http: HTTPOptions

    func run() async throws {
        let httpPort = try http.port()
        let processor = try loadProcessor(self.topology)
        let topology = processor.topology
        var overrides: [String: String] = [:]
        for property in properties {
            guard let equals = property.firstIndex(of: "=") else {
                throw ValidationError("--property takes key=value, got a value without '='")
            }
            overrides[String(property[..<equals])] = String(property[property.index(after: equals)...])
        }
        var deliveryOverride: Topology.Delivery?
        if let delivery {
            guard let value = Topology.Delivery(rawValue: delivery) else {
                throw ValidationError("--delivery must be exactly_once or at_least_once")
            }
            deliveryOverride = value
        }
        let logger = logs.bootstrap(label: "steward")
        KafkaLogging.use(logs.bootstrap(label: "steward.kafka"))
        var options = KafkaPipeline.Options(
            brokers: brokers, group: group ?? "steward-\(topology.name)", properties: overrides,
            delivery: deliveryOverride, transactionalID: transactionalId,
            instanceID: instanceId ?? ProcessInfo.processInfo.environment["STEWARD_INSTANCE_ID"].flatMap { $0.isEmpty ? nil : $0 }
                ?? KafkaPipeline.Options.hostName(),
            maxBatch: maxBatch,
            maxMessages: maxMessages, idleTimeout: idleTimeout.map { .milliseconds(Int($0 * 1000)) },
            createTopicsWithPartitions: createTopics)
        guard maxTaskIdleMs >= 0 else { throw ValidationError("--max-task-idle-ms must be 0 or more") }
        options.maxTaskIdle = .milliseconds(maxTaskIdleMs)
        guard bufferedRecordsPerPartition > 0 else { throw ValidationError("--buffered-records-per-partition must be positive") }
        options.bufferedRecordsPerPartition = bufferedRecordsPerPartition
        options.scaleOut = scaleOut
        let delivery = try alertDelivery(for: processor, logger: logger)
        if let delivery {
            options.onCommitted = { outputs in delivery.enqueue(outputs) }
        }
        // Shutdown runs in reverse order: the pipeline finishes its batch first, then delivery
        // drains, and HTTP (started first) answers /health until the end.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let httpPort {
            let operations = Operations(options: .init(host: http.host(), port: httpPort), logger: logger)
            var failures: (@Sendable () -> Int)?
            if let delivery { failures = { delivery.delivered.failed } }
            let metrics = PipelineMetrics(
                topology: topology.name, readiness: options.readiness, factory: operations.factory,
                deliveryFailures: failures)
            options.observer = metrics
            services.append(operations.service(for: [metrics]))
        }
        let pipeline = KafkaPipeline(
            processor: processor,
            options: options,
            logger: logger)
        if let delivery { services.append(.init(service: delivery)) }
        services.append(.init(service: PipelineService(pipeline: pipeline), successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        printLine(summaryJSON(pipeline.counters))
    }
}

/// The Kafka pipeline as a long-running service: graceful shutdown finishes the current batch.
struct PipelineService: Service {
    let pipeline: KafkaPipeline

    func run() async throws {
        try await withGracefulShutdownHandler {
            _ = try await pipeline.run()
        } onGracefulShutdown: {
            pipeline.requestStop()
        }
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run a topology over a JSONL file with no broker.",
        discussion: """
            Each input line is one message value, exactly as it would arrive from Kafka (malformed \
            lines included). Lines are given the positions they would have in a one-partition topic: \
            the topology's first input topic (or --topic), partition 0 (or --partition), offsets \
            from 0 (or --start-offset). Writes DIR/<topic>.jsonl for every output topic: one \
            CloudEvent per line, the same bytes the Kafka runtime publishes. Prints a JSON summary.

            Several --input files are several partitions: the i-th is partition i, or the i-th \
            --partition when partitions are named (one per input, in the same order). The stream \
            stages then take records in the order the Kafka runtime merges partitions (smallest \
            event time first; ties by partition, then offset), so the outputs equal a Kafka run \
            over the same partitions.
            """
    )

    @Argument(help: "The topology file.")
    var topology: String

    @Option(help: "Input JSONL file (one message value per line); repeat for several partitions.")
    var input: [String]

    @Option(help: "Directory for <topic>.jsonl outputs (created if missing).")
    var outputDir: String

    @Option(help: "Topic the lines are taken to come from.")
    var topic: String?

    @Option(help: "Partition the lines are taken to come from (repeat: one per --input, in order).")
    var partition: [Int32] = []

    @Option(help: "Offset of the first line.")
    var startOffset: Int64 = 0

    func validate() throws {
        guard !input.isEmpty else { throw ValidationError("give at least one --input") }
        guard partition.isEmpty || partition.count == input.count else {
            throw ValidationError("give one --partition per --input (\(input.count)), or none")
        }
        guard Set(partition).count == partition.count else { throw ValidationError("two --partition values are equal") }
    }

    func run() throws {
        let processor = try loadProcessor(self.topology)
        let partitions = partition.isEmpty ? input.indices.map { Int32($0) } : partition
        let counters = try Replay.run(
            processor: processor, inputs: Array(zip(input, partitions)), outputDirectory: outputDir,
            options: .init(topic: topic, partition: partitions[0], startOffset: startOffset))
        printLine(summaryJSON(counters))
    }
}

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check topology files.",
        discussion: "Exits 0 when every file is valid; otherwise prints every error as file:line:column: message and exits 1."
    )

    @Argument(help: "Topology files.")
    var files: [String]

    @Flag(help: "Print what each valid topology does.")
    var describe = false

    func run() throws {
        var failed = false
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("\(file):1:1: cannot read file\n".utf8))
                failed = true
                continue
            }
            do {
                let topology = try Topology.load(yaml: String(decoding: data, as: UTF8.self), file: file)
                try topology.validateEngines(file: file, readFile: readFileBytes)
                let budget = topology.fairnessBudget()
                if describe {
                    let lines = [topology.summary] + (topology.privacyBudget() ?? []) + (budget?.lines ?? [])
                    printLine(lines.joined(separator: "\n"))
                }
                for warning in budget?.warnings ?? [] { printLine("\(file): warning: \(warning)") }
            } catch {
                printLine(error.description)
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// The service that posts committed alert transitions to the topology's webhook (Alertmanager or
/// PagerDuty); nil when no webhook is configured.
func alertDelivery(for processor: Processor, logger: Logger) throws -> AlertDelivery? {
    guard let spec = processor.alertWebhook else { return nil }
    let routingKey = ProcessInfo.processInfo.environment["STEWARD_PAGERDUTY_ROUTING_KEY"]
    return try AlertDelivery(spec: spec, options: .init(pagerDutyRoutingKey: routingKey), logger: logger)
}
