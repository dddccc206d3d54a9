import ArgumentParser
import CommandSupport
import Foundation
import Generator
import JSON
import Kafka
import Pipeline
import Synchronization
import Timestamps

/// `steward bench kafka`: a topology end to end through a broker, as operators run it.
struct KafkaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Measure a topology through Kafka: `steward run` with exactly-once, end to end.",
        discussion: """
            Starts the embedded broker (`steward broker --partitions P --topic …`, a process of its own; it keeps \
            about 5 MB per partition, so large loads need more partitions, --rate or --brokers) unless \
            --brokers names one, loads --records generated records into the topology's input topic from a \
            producer thread, and runs `steward run` (exactly-once, a fresh group) until it has consumed them \
            all. A read_committed consumer in this process watches the outputs. Reports records/s (from the \
            run's start to the last output visible; `steady` leaves out the first and last tenth), the \
            end-to-end latency of each record from its input message's broker timestamp to its output's \
            visibility to the read_committed consumer (p50, p99, p99.9; `steady`: of the records produced in \
            the middle 80 % of the input's time span), and the run's peak RSS. Without \
            --rate every record is loaded before the run starts, so latencies include the wait in the \
            backlog; with --rate the producer runs beside the run at that many records per second, which is \
            how latency at a given load is measured; it starts once the run answers `GET /ready` (partitions \
            assigned, state restored), so the group's formation is not in the latencies. Records come from `steward generate`'s scenario for the \
            topology's name (chats, finance, clicks; others get chats records): a pool of distinct records \
            is cycled with fresh ids and event times that keep advancing (--event-interval apart). Keys the \
            environment does not set (STEWARD_NOISE_KEY, STEWARD_REDACTION_KEY) are random for the run.
            """
    )

    @Option(help: "Topology to run.")
    var topology: String = "Topologies/passthrough.yaml"

    @Option(help: "Records to load and process.")
    var records: Int = 100_000

    @Option(help: "Partitions of the input topic (and, on the embedded broker, of the record outputs' topics).")
    var partitions: Int32 = 4

    @Option(help: "Produce at this many records per second while the run consumes (0: load everything first).")
    var rate: Double = 0

    @Option(help: "Use this broker instead of starting the embedded one: the topology's topics must be empty (its input topic is created if missing).")
    var brokers: String?

    @Option(help: "Whose generated records to load: chats, finance or clicks (default: from the topology's name).")
    var scenario: String?

    @Option(help: "Distinct generated records, cycled with fresh ids and event times.")
    var pool: Int = 5_000

    @Option(help: "Seconds of event time between consecutive records.")
    var eventInterval: Double = 2

    @Option(help: "Largest batch per transaction of the run (`steward run --max-batch`).")
    var maxBatch: Int = 500

    @Option(
        help: """
            `steward run` processes in one consumer group, sharing the input partitions (a topology with \
            fairness or aggregates needs --scale-out for more than one).
            """)
    var instances: Int = 1

    @Flag(help: "Pass --scale-out to every `steward run`: record stages on every instance, the stream part on one.")
    var scaleOut = false

    @Flag(
        help: """
            Start the runs, let them join their group, then load the records, and time from the load: no \
            group join in the figures and no rebalance mid-run (always so with several instances).
            """)
    var joinFirst = false

    @Option(help: "A librdkafka property key=value for the run's clients (`steward run --property`; repeatable).")
    var property: [String] = []

    @Option(help: "The run's wait for an empty partition before merging without it (`steward run --max-task-idle-ms`; default: the run's).")
    var maxTaskIdleMs: Int?

    @Option(help: "The run's merge buffer per input partition before pausing it (`steward run --buffered-records-per-partition`; default: the run's).")
    var bufferedRecordsPerPartition: Int?

    func validate() throws {
        guard records > 0, partitions > 0, pool > 0, eventInterval > 0, maxBatch > 0, instances > 0 else {
            throw ValidationError(
                "--records, --partitions, --pool, --event-interval, --max-batch and --instances must be positive")
        }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more") }
    }

    func run() throws {
        let steward = Self.sibling("steward")
        let topologyValue = try loadTopology(topology)
        let inputTopic = topologyValue.input.topics[0]
        let sanitized = topologyValue.output.sanitized
        let deadLetter = topologyValue.output.deadLetter
        if instances > 1, !scaleOut,
            topologyValue.sections.contains(where: { ["fairness", "aggregates"].contains($0.key) })
        {
            throw ValidationError(
                "\(topology) has stream stages (fairness or aggregates): several instances need --scale-out")
        }
        let chosen = Scenario(rawValue: scenario ?? topologyValue.name) ?? .chats
        let values = try recordPool(chosen)

        var broker: Process?
        let bootstrap: String
        if let brokers {
            bootstrap = brokers
        } else {
            let started = try Self.startBroker(
                steward, partitions: partitions, topics: [inputTopic, sanitized, deadLetter])
            broker = started.process
            bootstrap = started.bootstrap
        }
        defer {
            broker?.terminate()
            broker?.waitUntilExit()
        }
        let configuration = KafkaConfiguration(bootstrapServers: bootstrap)
        if brokers != nil {
            // Not on the mock cluster (the embedded broker creates topics with P partitions itself).
            try KafkaAdmin.createTopics([inputTopic], partitions: Int(partitions), configuration: configuration)
        }

        let watcher = try OutputWatcher(
            configuration: configuration, input: inputTopic, outputs: [sanitized, deadLetter], expected: records)
        // Records already on the topics would be consumed or matched instead of this run's.
        for topic in [inputTopic, sanitized, deadLetter] {
            if let held = try watcher.messages(in: topic), held > 0 {
                throw ValidationError(
                    "\(topic) already holds messages (\(held) offsets used) on \(bootstrap): the bench needs empty "
                        + "topics (a fresh broker)")
            }
        }
        let producer = RecordProducer(
            configuration: configuration, topic: inputTopic, partitions: partitions, values: values,
            count: records, rate: rate, interval: Int64((eventInterval * 1000).rounded()))

        var produceSeconds = 0.0
        // Several instances join first: a rebalance while a transaction holds a partition's offsets
        // can keep that partition from its new owner on the mock cluster.
        let joinsFirst = joinFirst || instances > 1
        if rate == 0 && !joinsFirst {
            produceSeconds = try producer.run()
            try watcher.checkNothingTrimmed(inputTopic)
        }
        let group = "steward-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        // Keys the topology needs and the environment lacks: random ones for this run only.
        var environment = ProcessInfo.processInfo.environment
        for name in ["STEWARD_NOISE_KEY", "STEWARD_REDACTION_KEY"]
        where environment[name] == nil && environment[name + "_FILE"] == nil {
            environment[name] = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        }
        // One instance stops after --records; several share them, so they are stopped (SIGTERM, a
        // clean shutdown) once every record's output is visible.
        let ending = instances == 1 ? ["--max-messages", String(records), "--idle-timeout", "60"] : []
        let ports = try (0..<instances).map { _ in try ReadyProbe.freePort() }
        let runs = (0..<instances).map { index in
            let run = Process()
            run.executableURL = URL(fileURLWithPath: steward)
            run.arguments =
                [
                    "run", topology, "--brokers", bootstrap, "--group", group,
                    "--instance-id", instances == 1 ? "bench" : "bench-\(index)",
                    "--delivery", "exactly_once", "--max-batch", String(maxBatch), "--http-port", String(ports[index]),
                    "--log-level", "warning",
                ] + (scaleOut ? ["--scale-out"] : []) + ending + property.flatMap { ["--property", $0] }
                + (maxTaskIdleMs.map { ["--max-task-idle-ms", String($0)] } ?? [])
                + (bufferedRecordsPerPartition.map { ["--buffered-records-per-partition", String($0)] } ?? [])
            run.environment = environment
            run.standardOutput = Pipe()
            return run
        }
        var start = ContinuousClock.now
        for run in runs { try run.run() }
        if rate > 0 || joinsFirst {
            // Paced or shared records go out once every run holds partitions (`/ready`): latencies then
            // measure the pipeline, not the group's formation.
            for (run, port) in zip(runs, ports) { try ReadyProbe(port: port).wait(for: run, timeout: .seconds(180)) }
        }
        if joinsFirst {
            Thread.sleep(forTimeInterval: 5)
            start = .now
        }
        let watching = Thread { watcher.watch(until: .now + .seconds(3600)) }
        watching.start()
        if rate > 0 || joinsFirst { produceSeconds = try producer.run() }
        if instances > 1 {
            watcher.finish(deadline: .now + .seconds(600))
            for run in runs { run.terminate() }
        }
        var consumedByRun: [Int] = []
        for run in runs {
            let output = (run.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile()
            run.waitUntilExit()
            let text = String(decoding: output, as: UTF8.self)
            guard run.terminationStatus == 0 else {
                throw ValidationError("steward run failed (status \(run.terminationStatus)): \(text)")
            }
            guard case .number(let consumed)? = try? JSONParser.parse(Array(output))["consumed"], let count = Int(consumed)
            else { throw ValidationError("steward run printed no summary: \(text)") }
            consumedByRun.append(count)
        }
        let consumedInAll = consumedByRun.reduce(0, +)
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        // The largest of the runs' peaks, and their CPU time together.
        let peakRSS = Int(usage.ru_maxrss) * 1024
        let cpuSeconds =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        // Several instances may read a batch twice around a rebalance (published once: exactly-once).
        guard instances == 1 ? consumedInAll == records : consumedInAll >= records else {
            throw ValidationError(
                "the runs consumed \(consumedInAll) of the \(records) records (per run: \(consumedByRun))")
        }
        if instances == 1 { watcher.finish(deadline: .now + .seconds(60)) }
        let result = watcher.result(start: start)
        watcher.consumer.close()
        guard result.seen == records else {
            throw ValidationError("only \(result.seen) of \(records) records reached the output topics")
        }
        let report = Report(
            topology: topology, records: records, partitions: Int(partitions), rate: rate,
            broker: brokers == nil ? "embedded" : bootstrap, instances: instances, scaleOut: scaleOut, produceSeconds: produceSeconds,
            result: result,
            peakRSS: peakRSS, runCPUSeconds: cpuSeconds)
        printLine(report.text)
        printLine(report.json)
    }

    /// Distinct records of the scenario, made by the generator with the scenario's own stages.
    func recordPool(_ scenario: Scenario) throws -> [[UInt8]] {
        let directory = (topology as NSString).deletingLastPathComponent
        let stages = try loadRecordStages(
            ((directory.isEmpty ? "." : directory) as NSString).appendingPathComponent(scenario.topologyFile))
        var generator = RecordGenerator(options: RecordGenerator.Options(scenario: scenario, seed: 1), stages: stages)
        return try (0..<min(pool, records)).map { _ in try generator.next() }
    }

    /// An executable beside this one (`steward`, next to `steward-bench`).
    static func sibling(_ name: String) -> String {
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// `steward broker` with `topics` created with `partitions` each (topics it creates on first use
    /// get the mock cluster's default instead).
    static func startBroker(
        _ steward: String, partitions: Int32, topics: [String]
    ) throws -> (process: Process, bootstrap: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: steward)
        process.arguments = ["broker", "--port", "0", "--partitions", String(partitions)] + topics.flatMap { ["--topic", $0] }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first else { throw ValidationError("steward broker ended before naming its address") }
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        return (process, String(decoding: line, as: UTF8.self))
    }
}

/// Produces `count` records, cycling `values` with fresh ids (`bench-<n>`) and event times
/// `interval` apart, record n to partition n mod P, at `rate` per second (0: as fast as it can).
struct RecordProducer {
    let configuration: KafkaConfiguration
    let topic: String
    let partitions: Int32
    let values: [[UInt8]]
    let count: Int
    let rate: Double
    let interval: Int64

    /// Sends every record and waits until all are delivered; returns the seconds it took.
    func run() throws -> Double {
        let producer = try KafkaProducer.make(configuration: configuration)
        let start = ContinuousClock.now
        let origin = Timestamp.parseRFC3339("2026-11-29T08:00:00Z")!
        for index in 0..<count {
            if rate > 0 {
                let due = start + .milliseconds(Int64((Double(index) / rate * 1000).rounded()))
                let ahead = due - .now
                if ahead > .milliseconds(1) { Thread.sleep(forTimeInterval: ahead.seconds) }
            }
            let value = Self.rewrite(
                values[index % values.count], id: "bench-\(index)",
                time: Timestamp.formatRFC3339(milliseconds: origin + Int64(index) * interval))
            try producer.send(ProducerMessage(topic: topic, value: value, partition: Int32(index) % partitions))
            if index % 1000 == 999 {
                producer.poll()
                try producer.checkDeliveries()
            }
        }
        try producer.flush()
        return (ContinuousClock.now - start).seconds
    }

    /// The record with `id` and `ts` replaced (members kept in place; a record that is not an
    /// object, like the generator's malformed ones, is sent as it is).
    static func rewrite(_ value: [UInt8], id: String, time: String) -> [UInt8] {
        InputCycle.replacingMembers(value) { key, _ in
            switch key {
            case "id": .string(id)
            case "ts": .string(time)
            default: nil
            }
        }
    }
}

/// Reads the input topic's timestamps and the output topics read_committed, and times each input
/// record's first output.
final class OutputWatcher: @unchecked Sendable {
    let consumer: KafkaConsumer
    let input: String
    let outputs: [String]
    let expected: Int
    /// Guarded by `lock`: the input timestamps by (partition, offset), and when each record's output was seen.
    let lock = NSLock()
    var inputTimes: [Int64: Int64] = [:]
    var visible: [Int64: Int64] = [:]
    var visibleAt: [ContinuousClock.Instant] = []
    let stop = Atomic<Bool>(false)
    /// Set when every expected record was seen (ends the topic lookups too).
    let finished = Atomic<Bool>(false)
    let done = DispatchSemaphore(value: 0)

    struct Result {
        var seen: Int
        var seconds: Double
        var steadyRecordsPerSecond: Double
        var latencies: [Int64]
        /// Those of the records produced in the middle 80 % of the input's time span.
        var steadyLatencies: [Int64]
    }

    init(configuration: KafkaConfiguration, input: String, outputs: [String], expected: Int) throws {
        var configuration = configuration
        // A fetch before a partition has data may come back out of range (Tansu): start over, not at the end.
        configuration["auto.offset.reset"] = "earliest"
        // The watcher times visibility: a fetch may not wait for more data (librdkafka's default 500 ms).
        configuration["fetch.wait.max.ms"] = "5"
        consumer = try KafkaConsumer.makeReader(configuration: configuration, group: "steward-bench-watcher")
        self.input = input
        self.outputs = outputs
        self.expected = expected
    }

    /// Fails when the broker already dropped the oldest loaded records: librdkafka's mock cluster
    /// (the embedded broker) keeps only about 5 MB per partition.
    func checkNothingTrimmed(_ topic: String) throws {
        guard let count = try consumer.partitionCount(topic: topic) else { return }
        for partition in 0..<Int32(count) {
            guard let (low, _) = try consumer.watermarks(topic: topic, partition: partition), low > 0 else { continue }
            throw ValidationError(
                "the broker dropped the first \(low) records of \(topic)[\(partition)] before the run read them (the "
                    + "embedded broker keeps about 5 MB per partition): load fewer records per partition "
                    + "(--partitions), produce beside the run (--rate), or use --brokers")
        }
    }

    /// How many offsets `topic`'s partitions have used (their high watermarks added up: messages
    /// and transaction markers ever written); nil when it does not exist.
    func messages(in topic: String) throws -> Int64? {
        guard let count = try consumer.partitionCount(topic: topic), count > 0 else { return nil }
        var total: Int64 = 0
        for partition in 0..<Int32(count) {
            if let (_, high) = try consumer.watermarks(topic: topic, partition: partition) { total += high }
        }
        return total
    }

    /// Polls until every expected record has an output (or the deadline), assigning each topic's
    /// partitions from the start as they appear. The topics are looked up on a thread of their own:
    /// a metadata request for a topic not there yet (a dead-letter topic maybe never) can block for
    /// its timeout, and a poll that waits behind it would add that wait to the latencies.
    func watch(until deadline: ContinuousClock.Instant) {
        let discovered = DispatchSemaphore(value: 0)
        let discovery = Thread {
            self.discoverTopics(until: deadline)
            discovered.signal()
        }
        discovery.start()
        defer {
            // The lookups end before the caller may close the consumer.
            finished.store(true, ordering: .relaxed)
            discovered.wait()
            done.signal()
        }
        while !stop.load(ordering: .relaxed) && ContinuousClock.now < deadline {
            guard let message = try? consumer.poll(timeoutMilliseconds: 100) else { continue }
            let now = ContinuousClock.now
            let wall = Int64(Date().timeIntervalSince1970 * 1000)
            let key = Int64(message.partition) << 40 | message.offset
            lock.lock()
            if message.topic == input {
                inputTimes[key] = message.timestamp ?? wall
            } else if let position = Self.position(of: message.value), visible[position] == nil {
                visible[position] = wall
                visibleAt.append(now)
            }
            let complete = visible.count >= expected && inputTimes.count >= expected
            lock.unlock()
            if complete { return }
        }
    }

    /// Assigns each topic's partitions from the start as the topic appears, keeping the positions
    /// already reached on the others; every 200 ms until every topic is assigned or watching ends.
    private func discoverTopics(until deadline: ContinuousClock.Instant) {
        var assigned: Set<String> = []
        var partitions: [TopicPartitionOffset] = []
        while assigned.count < outputs.count + 1 && !stop.load(ordering: .relaxed) && !finished.load(ordering: .relaxed)
            && ContinuousClock.now < deadline
        {
            var added = false
            for topic in [input] + outputs where !assigned.contains(topic) {
                guard let count = try? consumer.partitionCount(topic: topic, timeoutMilliseconds: 1000), count > 0
                else { continue }
                assigned.insert(topic)
                partitions += (0..<Int32(count)).map { TopicPartitionOffset(topic: topic, partition: $0, offset: 0) }
                added = true
            }
            if added {
                let current = partitions.map { start in
                    TopicPartitionOffset(
                        topic: start.topic, partition: start.partition,
                        offset: consumer.position(topic: start.topic, partition: start.partition) ?? start.offset)
                }
                try? consumer.assign(current)
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Waits for `watch` to end, at most until `deadline`.
    func finish(deadline: ContinuousClock.Instant) {
        let wait = max(0, (deadline - .now).seconds)
        if done.wait(timeout: .now() + wait) == .timedOut { stop.store(true, ordering: .relaxed) }
    }

    func result(start: ContinuousClock.Instant) -> Result {
        lock.lock()
        defer { lock.unlock() }
        // (input timestamp, latency) per record seen; the steady ones leave out the records produced
        // in the first and last tenth of the input's time span (start-up: the first fetches and
        // transaction; the end), as the steady rate does.
        let timed = visible.compactMap { key, seen in inputTimes[key].map { (input: $0, latency: seen - $0) } }
        let latencies = timed.map(\.latency).sorted()
        var steadyLatencies = latencies
        if let first = timed.map(\.input).min(), let last = timed.map(\.input).max(), last > first {
            let (low, high) = (first + (last - first) / 10, last - (last - first) / 10)
            steadyLatencies = timed.filter { $0.input >= low && $0.input <= high }.map(\.latency).sorted()
        }
        let times = visibleAt.sorted()
        let seconds = times.last.map { ($0 - start).seconds } ?? 0
        var steady = 0.0
        if times.count >= 10 {
            let first = times[times.count / 10]
            let last = times[times.count * 9 / 10]
            let span = (last - first).seconds
            steady = span > 0 ? Double(times.count * 9 / 10 - times.count / 10) / span : 0
        }
        return Result(
            seen: visible.count, seconds: seconds, steadyRecordsPerSecond: steady, latencies: latencies,
            steadyLatencies: steadyLatencies)
    }

    /// The input position an output names in its CloudEvent id (`<topic>/<partition>/<offset>`,
    /// the record's own outputs only), as the key `inputTimes` uses.
    static func position(of value: [UInt8]) -> Int64? {
        guard case .string(let id)? = try? JSONParser.parse(value)["id"] else { return nil }
        let parts = id.split(separator: "/")
        guard parts.count >= 3, let partition = Int64(parts[parts.count - 2]), let offset = Int64(parts[parts.count - 1])
        else { return nil }
        return partition << 40 | offset
    }
}

struct Report {
    var topology: String
    var records: Int
    var partitions: Int
    var rate: Double
    var broker: String
    var instances: Int
    var scaleOut: Bool
    var produceSeconds: Double
    var result: OutputWatcher.Result
    var peakRSS: Int
    /// CPU time (user + system) of the `steward run` processes together; `peakRSS` is the largest one's.
    var runCPUSeconds: Double

    func percentile(_ p: Double, steady: Bool = false) -> Int64 {
        let latencies = steady ? result.steadyLatencies : result.latencies
        guard !latencies.isEmpty else { return 0 }
        let index = min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)
        return latencies[max(0, index)]
    }

    var recordsPerSecond: Double { result.seconds > 0 ? Double(records) / result.seconds : 0 }

    var text: String {
        String(
            format: "kafka: %@, %d records, %d partitions%@, exactly-once%@: %.2f s, %.0f records/s (steady %.0f); "
                + "latency p50 %lld ms, p99 %lld ms, p99.9 %lld ms (steady p50 %lld, p99 %lld, p99.9 %lld); "
                + "steward run peak RSS %.1f MB, CPU %.1f s",
            topology, records, partitions,
            (instances > 1 ? ", \(instances) instances" : "") + (scaleOut ? " (scale-out)" : ""),
            rate > 0 ? String(format: ", produced at %.0f records/s", rate) : "",
            result.seconds, recordsPerSecond, result.steadyRecordsPerSecond, percentile(0.5), percentile(0.99),
            percentile(0.999), percentile(0.5, steady: true), percentile(0.99, steady: true),
            percentile(0.999, steady: true), Double(peakRSS) / 1e6, runCPUSeconds)
    }

    var json: String {
        func fixed(_ value: Double, _ digits: Int) -> JSONValue { .number(String(format: "%.\(digits)f", value)) }
        let value: JSONValue = .object([
            ("topology", .string(topology)), ("records", .number(String(records))),
            ("partitions", .number(String(partitions))), ("instances", .number(String(instances))),
            ("scale_out", .bool(scaleOut)),
            ("rate", fixed(rate, 1)), ("broker", .string(broker)),
            ("produce_seconds", fixed(produceSeconds, 3)), ("seconds", fixed(result.seconds, 3)),
            ("records_per_second", fixed(recordsPerSecond, 0)),
            ("steady_records_per_second", fixed(result.steadyRecordsPerSecond, 0)),
            (
                "latency_ms",
                .object([
                    ("p50", .number(String(percentile(0.5)))), ("p99", .number(String(percentile(0.99)))),
                    ("p999", .number(String(percentile(0.999)))),
                ])
            ),
            (
                "steady_latency_ms",
                .object([
                    ("p50", .number(String(percentile(0.5, steady: true)))),
                    ("p99", .number(String(percentile(0.99, steady: true)))),
                    ("p999", .number(String(percentile(0.999, steady: true)))),
                ])
            ),
            ("peak_rss_bytes", .number(String(peakRSS))), ("run_cpu_seconds", fixed(runCPUSeconds, 2)),
        ])
        return String(decoding: JSONWriter.encode(value), as: UTF8.self)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
