import CommandSupport
import Foundation
import Generator
import Kafka
import KafkaTesting
import Logging
import Monitoring
import Pipeline
import Runtime
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `steward demo` with no topology: the governance job as a newcomer should first see it. The
/// embedded broker, the chats, finance and clicks topologies on the Kafka runtime, each fed by the
/// generator (a drift raises one region's escalation decisions midway through chats), a live view
/// on the terminal and the status page, until `duration` has passed or Ctrl-C.
struct GovernanceDemo {
    var rate: Double
    var duration: Double
    var topologies: String
    var http: (port: Int, host: String)?

    /// The drift the chats feed gets: north's escalation decisions rise from 30 % to 60 %.
    static let drift = (attribute: "region", group: "north", shift: 0.3)
    /// Event time between records: 300 records per 10-minute window of the shipped topologies.
    static let eventInterval: Int64 = 2000
    /// The chats baseline needs 36 closed windows, and the first window closes once the watermark
    /// passes it: 38 windows of 300 records. The drift never starts before.
    static let chatsBaselineRecords = 11_400
    /// One record in this many is malformed, so the dead-letter topic shows its reasons.
    static let malformedEvery = 500

    /// Where the chats drift starts: midway through the run at `rate`, and after the baseline.
    var driftStart: Int { max(Int(rate * duration / 2), Self.chatsBaselineRecords) }

    func run() async throws {
        Self.provideNoiseKey()
        let cluster = try MockCluster()
        var logger = Logger(label: "steward")
        logger.logLevel = .warning
        KafkaLogging.use(logger)
        let operations = Operations(
            options: .init(host: http?.host ?? "127.0.0.1", port: http?.port ?? 0), logger: logger)

        var feeds: [Feed] = []
        var pipelines: [KafkaPipeline] = []
        var boards: [PipelineMetrics] = []
        for scenario in Scenario.allCases {
            let path = (topologies as NSString).appendingPathComponent(scenario.topologyFile)
            let processor = try loadProcessor(path)
            let output = processor.topology.output
            for topic in processor.topology.input.topics { try cluster.createTopic(topic, partitions: 1) }
            for topic in [
                output.sanitized, output.deadLetter, output.aggregates, output.alerts, output.audit, output.changelog,
            ] {
                try cluster.createTopic(topic, partitions: 1)
            }
            var options = KafkaPipeline.Options(
                brokers: cluster.bootstrapServers, group: "steward-demo-\(scenario.rawValue)",
                properties: ["statistics.interval.ms": "1000"], instanceID: "demo")
            let metrics = PipelineMetrics(
                topology: processor.topology.name, readiness: options.readiness, factory: operations.factory)
            options.observer = metrics
            boards.append(metrics)
            pipelines.append(KafkaPipeline(processor: processor, options: options, logger: logger))

            let drift =
                scenario == .chats
                ? Drift(
                    attribute: Self.drift.attribute, group: Self.drift.group, shift: Self.drift.shift, start: driftStart
                )
                : nil
            let generator = RecordGenerator(
                options: .init(
                    scenario: scenario, seed: 1, drift: drift, interval: Self.eventInterval,
                    malformedEvery: Self.malformedEvery),
                stages: try loadRecordStages(path))
            feeds.append(
                Feed(generator: generator, brokers: cluster.bootstrapServers, topic: scenario.inputTopic, rate: rate))
        }

        var header = ["embedded broker: \(cluster.bootstrapServers)"]
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let http {
            services.append(operations.service(for: boards))
            header.append("status page: http://\(http.host == "0.0.0.0" ? "127.0.0.1" : http.host):\(http.port)/")
        }
        header.append(
            "feeding chats, finance and clicks at \(Self.format(rate)) records/s each for \(Self.format(duration)) s; "
                + "chats drifts from record \(driftStart) on (\(Self.drift.attribute)=\(Self.drift.group) "
                + "+\(Self.format(Self.drift.shift)) escalation decisions)")
        let view = DemoView(boards: boards, header: header, interactive: isatty(STDOUT_FILENO) == 1)
        for pipeline in pipelines { services.append(.init(service: PipelineService(pipeline: pipeline))) }
        let run = DemoRun(feeds: feeds, view: view, duration: .milliseconds(Int64(duration * 1000)))
        services.append(.init(service: run, successTerminationBehavior: .gracefullyShutdownGroup))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        view.finish(summaries: pipelines.map { ($0.topology.name, summaryJSON($0.counters)) })
    }

    /// The demo's DP noise needs a key; without one in the environment it makes one for this run.
    static func provideNoiseKey() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["STEWARD_NOISE_KEY"] == nil, environment["STEWARD_NOISE_KEY_FILE"] == nil else { return }
        var system = SystemRandomNumberGenerator()
        let key = (0..<4).map { _ in String(system.next(), radix: 16).leftPadded(to: 16) }.joined()
        setenv("STEWARD_NOISE_KEY", key, 0)
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

/// One topology's input: generated records sent to its topic at a steady rate until stopped.
final class Feed: Sendable {
    let generator: Mutex<RecordGenerator>
    let brokers: String
    let topic: String
    let rate: Double
    let stopped = Atomic<Bool>(false)

    init(generator: RecordGenerator, brokers: String, topic: String, rate: Double) {
        self.generator = Mutex(generator)
        self.brokers = brokers
        self.topic = topic
        self.rate = rate
    }

    /// Blocks until `stop()`; run it on a thread of its own.
    func run() throws {
        let sink = try KafkaSink(brokers: brokers, topic: topic)
        let pacer = Pacer(rate: rate)
        var sent = 0
        while !stopped.load(ordering: .relaxed) {
            try sink.write(try generator.withLock { try $0.next() })
            sent += 1
            pacer.wait(after: sent)
        }
        try sink.close()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }
}

/// Runs the feeds and the live view for the demo's duration, then stops the feeds; returning ends
/// the service group, which stops the pipelines after their current batch.
struct DemoRun: Service {
    let feeds: [Feed]
    let view: DemoView
    let duration: Duration

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for feed in feeds {
                group.addTask { try await runOnDedicatedThread(name: "steward-feed") { try feed.run() } }
            }
            let deadline = ContinuousClock.now + duration
            while ContinuousClock.now < deadline, !Task.isShuttingDownGracefully {
                view.refresh()
                try? await Task.sleep(for: min(.seconds(1), deadline - .now))
            }
            for feed in feeds { feed.stop() }
            try await group.waitForAll()
        }
        view.refresh()
    }
}
