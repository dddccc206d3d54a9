import ArgumentParser
import Fairness
import Foundation
import Kafka
import Logging
import Pipeline
import Runtime
import ServiceLifecycle
import UnixSignals

/// The pipeline verbs: broker, run, replay, validate, demo.
var coreCommands: [any ParsableCommand.Type] { [BrokerCommand.self, RunCommand.self, ReplayCommand.self, ValidateCommand.self, DemoCommand.self] }

/// Reads and validates a topology file, printing every problem as `file:line:column: message`.
func loadTopology(_ path: String) throws -> Topology {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read topology file \(path)")
    }
    do {
        return try Topology.load(yaml: String(decoding: data, as: UTF8.self), file: path)
    } catch {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(1)
    }
}

/// Reads a topology and builds its processor with every engine; secrets come from the environment.
func loadProcessor(_ path: String) throws -> Processor {
    let topology = try loadTopology(path)
    do {
        let base = (path as NSString).deletingLastPathComponent
        return try topology.makeProcessor(
            file: path,
            environment: EngineEnvironment(
                baseDirectory: base.isEmpty ? "." : base, variables: ProcessInfo.processInfo.environment,
                readFile: { file in
                    guard let data = FileManager.default.contents(atPath: file) else {
                        throw ValidationError("cannot read \(file)")
                    }
                    return Array(data)
                }))
    } catch let errors as TopologyErrors {
        FileHandle.standardError.write(Data((errors.description + "\n").utf8))
        throw ExitCode(1)
    } catch {
        FileHandle.standardError.write(Data("\(path): \(error)\n".utf8))
        throw ExitCode(1)
    }
}

func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// The processor counters as one JSON line. `unused_by_stream_stages` counts sanitized records that a
/// stream stage dead-lettered as well (e.g. later than every open fairness window): they are in
/// `sanitized` and each also has a message on the dead-letter topic.
func summaryJSON(_ counters: Processor.Counters) -> String {
    let reasons = counters.deadLettersByReason.keys.sorted().map { "\"\($0)\":\(counters.deadLettersByReason[$0]!)" }
    return "{\"consumed\":\(counters.consumed),\"sanitized\":\(counters.sanitized),"
        + "\"dead_lettered\":\(counters.deadLettered),\"dead_letters_by_reason\":{\(reasons.joined(separator: ","))},"
        + "\"unused_by_stream_stages\":\(counters.unusedByStreamStages)}"
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
        let cluster = try MockCluster(brokers: brokers)
        for topic in topics {
            try cluster.createTopic(topic, partitions: partitions)
        }
        let firstBroker = cluster.bootstrapServers.split(separator: ",").first.map(String.init) ?? ""
        guard let targetPort = firstBroker.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            throw ValidationError("unexpected mock bootstrap address \(cluster.bootstrapServers)")
        }
        let forwarder = try BootstrapForwarder(port: port, targetPort: targetPort)
        printLine("127.0.0.1:\(forwarder.port)")
        FileHandle.standardError.write(
            Data("steward broker: mock cluster \(cluster.bootstrapServers), bootstrap 127.0.0.1:\(forwarder.port), topics: \(topics.joined(separator: ", "))\n".utf8))
        await waitForTerminationSignal()
        withExtendedLifetime((cluster, forwarder)) {}
    }
}

/// Suspends until SIGTERM or SIGINT.
func waitForTerminationSignal() async {
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let queue = DispatchQueue(label: "signals")
        let once = OnceFlag()
        let sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
        for source in sources {
            source.setEventHandler {
                if once.set() { continuation.resume() }
            }
            source.resume()
        }
        SignalSources.keep(sources)
    }
}

final class OnceFlag: @unchecked Sendable {
    private var fired = false
    private let lock = NSLock()
    func set() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if fired { return false }
        fired = true
        return true
    }
}

enum SignalSources {
    nonisolated(unsafe) static var kept: [any DispatchSourceSignal] = []
    static func keep(_ sources: [any DispatchSourceSignal]) { kept += sources }
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

    @Option(help: "Transactional id (default: steward-<group>-<pid>).")
    var transactionalId: String?

    @Option(help: "Stop after this many input messages.")
    var maxMessages: Int?

    @Option(help: "Stop after this many seconds without input.")
    var idleTimeout: Double?

    @Option(help: "Largest batch per transaction.")
    var maxBatch: Int = 500

    @Option(help: "Create missing output topics with this many partitions first (not on the mock cluster).")
    var createTopics: Int?

    func run() async throws {
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
        var logger = Logger(label: "steward")
        logger.logLevel = .info
        var options = KafkaPipeline.Options(
            brokers: brokers, group: group ?? "steward-\(topology.name)", properties: overrides,
            delivery: deliveryOverride, transactionalID: transactionalId, maxBatch: maxBatch,
            maxMessages: maxMessages, idleTimeout: idleTimeout.map { .milliseconds(Int($0 * 1000)) },
            createTopicsWithPartitions: createTopics)
        options.onCommitted = try alertPoster(for: processor, logger: logger)
        let pipeline = KafkaPipeline(
            processor: processor,
            options: options,
            logger: logger)
        let service = PipelineService(pipeline: pipeline)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    ServiceGroupConfiguration.ServiceConfiguration(
                        service: service, successTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
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
            """
    )

    @Argument(help: "The topology file.")
    var topology: String

    @Option(help: "Input JSONL file (one message value per line).")
    var input: String

    @Option(help: "Directory for <topic>.jsonl outputs (created if missing).")
    var outputDir: String

    @Option(help: "Topic the lines are taken to come from.")
    var topic: String?

    @Option(help: "Partition the lines are taken to come from.")
    var partition: Int32 = 0

    @Option(help: "Offset of the first line.")
    var startOffset: Int64 = 0

    func run() throws {
        let processor = try loadProcessor(self.topology)
        let counters = try Replay.run(
            processor: processor, inputFile: input, outputDirectory: outputDir,
            options: .init(topic: topic, partition: partition, startOffset: startOffset))
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
                try topology.validateEngines(file: file)
                let budget = topology.fairnessBudget()
                if describe {
                    printLine(([topology.summary] + (budget?.lines ?? [])).joined(separator: "\n"))
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

/// Posts committed alert transitions to the topology's webhook (Alertmanager or PagerDuty), in
/// order, from the pipeline thread; nil when no webhook is configured.
func alertPoster(for processor: Processor, logger: Logger) throws -> (@Sendable ([OutputMessage]) -> Void)? {
    guard let stage = processor.streamStages.compactMap({ $0 as? FairnessStage }).first,
        let spec = stage.monitor.config.alerts.webhook
    else { return nil }
    let webhook = try FairnessWebhook(spec: spec)
    let alertsTopic = processor.topology.output.alerts
    return { outputs in
        let events = outputs.filter { $0.topic == alertsTopic }.compactMap { message -> AlertEvent? in
            guard let event = try? JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any],
                let data = event["data"], let body = try? JSONSerialization.data(withJSONObject: data)
            else { return nil }
            return try? JSONDecoder().decode(AlertEvent.self, from: body)
        }
        guard !events.isEmpty else { return }
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await webhook.post(events)
            } catch {
                logger.error("alert webhook failed", metadata: ["error": "\(error)"])
            }
            done.signal()
        }
        done.wait()
    }
}
