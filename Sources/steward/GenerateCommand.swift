import ArgumentParser
import CommandSupport
import Foundation
import Generator
import Kafka
import Synchronization

/// Set by SIGTERM or SIGINT: an endless `generate --brokers --count 0` stops, flushing what it queued.
private let interrupted = Atomic<Bool>(false)

extension Scenario: ExpressibleByArgument {}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate realistic input records for a shipped topology, to Kafka or a JSONL file.",
        discussion: """
            Records in the input schema of Topologies/<scenario>.yaml: multilingual texts (German, \
            Japanese, French, Greek, Turkish, emoji) with personal data planted in them (names, e-mail \
            addresses, phone numbers, IBANs, card numbers), one record every --event-interval seconds of \
            event time from 2026-11-29T08:00:00Z. Each record's decision by the shipped model is chosen \
            first (positive for 30 % of every group) and candidates are scored by the topology's own \
            redaction and scoring until the model decides so; with --drift ATTRIBUTE=GROUP:SHIFT the \
            group's positive rate is 0.3 + SHIFT from record --drift-at on. The same seed gives the same \
            bytes. A progress bar goes to standard error when it is a terminal.
            """
    )

    @Option(help: "Which topology's input: chats, finance or clicks.")
    var scenario: Scenario

    @Option(help: "Produce to Kafka at these bootstrap servers (with --topic).")
    var brokers: String?

    @Option(help: "Topic to produce to (default: the topology's input topic).")
    var topic: String?

    @Option(help: "Write the records to this JSONL file instead.")
    var output: String?

    @Option(help: "Number of records (0 with --brokers: until interrupted).")
    var count: Int = 10_000

    @Option(help: "Records per second (0: as fast as possible).")
    var rate: Double = 0

    @Option(help: "Seed: the same seed gives the same records.")
    var seed: UInt64 = 0

    @Option(help: "Index (from 0) of the first record the drift applies to.")
    var driftAt: Int?

    @Option(help: "ATTRIBUTE=GROUP:SHIFT, e.g. region=north:0.2: that group's positive-decision rate rises by SHIFT.")
    var drift: String?

    @Option(help: "Seconds of event time between consecutive records.")
    var eventInterval: Double = 2

    @Option(help: "Make every N-th record malformed (dead-lettered by the topology); 0 for none.")
    var malformedEvery: Int = 0

    @Option(help: "People the records are drawn from, uniformly (customer_id, author_id or user_id).")
    var users: Int = 100_000

    @Option(help: "Folder of the shipped topologies and ../Models (in the Docker image: /etc/steward/topologies).")
    var topologies: String = "Topologies"

    func validate() throws {
        guard (brokers == nil) != (output == nil) else { throw ValidationError("give either --brokers or --output") }
        guard topic == nil || brokers != nil else { throw ValidationError("--topic goes with --brokers") }
        guard count > 0 || (count == 0 && brokers != nil) else {
            throw ValidationError("--count must be positive (0, endless, only with --brokers)")
        }
        guard rate >= 0, rate.isFinite else { throw ValidationError("--rate must be 0 or more") }
        guard (drift == nil) == (driftAt == nil) else { throw ValidationError("--drift and --drift-at go together") }
        guard eventInterval > 0 else { throw ValidationError("--event-interval must be positive") }
        guard malformedEvery >= 0 else { throw ValidationError("--malformed-every must be 0 or more") }
        guard users >= 1 else { throw ValidationError("--users must be at least 1") }
    }

    func run() throws {
        var generator = try makeGenerator()
        let sink: any RecordSink
        if let brokers {
            sink = try KafkaSink(brokers: brokers, topic: topic ?? scenario.inputTopic)
        } else {
            sink = try FileSink(path: output!)
        }
        let progress = isatty(STDERR_FILENO) == 1 ? ProgressBar(total: count) : nil
        let pacer = Pacer(rate: rate)
        signal(SIGTERM) { _ in interrupted.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
        var written = 0
        while (count == 0 || written < count) && !interrupted.load(ordering: .relaxed) {
            try sink.write(try generator.next())
            written += 1
            progress?.update(written)
            pacer.wait(after: written)
        }
        try sink.close()
        progress?.finish(written)
        // After the sink's close: every record counted here was delivered (or written).
        FileHandle.standardError.write(Data("steward generate: \(written) records\n".utf8))
    }

    func makeGenerator() throws -> RecordGenerator {
        let driftValue = try drift.map { text throws(GeneratorError) in
            try Drift(parsing: text, start: driftAt ?? 0, scenario: scenario)
        }
        let stages = try loadRecordStages((topologies as NSString).appendingPathComponent(scenario.topologyFile))
        let options = RecordGenerator.Options(
            scenario: scenario, seed: seed, drift: driftValue, interval: Int64((eventInterval * 1000).rounded()),
            malformedEvery: malformedEvery, users: users)
        return RecordGenerator(options: options, stages: stages)
    }
}

extension GeneratorError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Where generated records go, one message value at a time.
protocol RecordSink {
    func write(_ record: [UInt8]) throws
    func close() throws
}

/// A JSONL file: one record a line.
final class FileSink: RecordSink {
    let handle: FileHandle
    var buffer: [UInt8] = []

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw ValidationError("cannot write \(path)") }
        self.handle = handle
    }

    func write(_ record: [UInt8]) throws {
        buffer += record
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { try flush() }
    }

    func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        try handle.close()
    }
}

/// A Kafka topic, through the project's producer; each record keyed by nothing (librdkafka spreads
/// them over the partitions), delivery checked as it goes and at the end.
final class KafkaSink: RecordSink {
    let producer: KafkaProducer
    let topic: String
    var sent = 0

    init(brokers: String, topic: String) throws {
        producer = try KafkaProducer.make(configuration: KafkaConfiguration(bootstrapServers: brokers))
        self.topic = topic
    }

    func write(_ record: [UInt8]) throws {
        try producer.send(ProducerMessage(topic: topic, value: record))
        sent += 1
        if sent % 1000 == 0 {
            producer.poll()
            try producer.checkDeliveries()
        }
    }

    func close() throws {
        try producer.flush()
    }
}

/// Keeps a producer at `rate` records per second by sleeping until each record is due.
struct Pacer {
    let rate: Double
    let start = ContinuousClock.now

    init(rate: Double) {
        self.rate = rate
    }

    func wait(after records: Int) {
        guard rate > 0 else { return }
        let due = start + .milliseconds(Int64((Double(records) / rate * 1000).rounded()))
        let ahead = due - .now
        if ahead > .milliseconds(1) { Thread.sleep(forTimeInterval: ahead.inSeconds) }
    }
}

/// `[######......] 4200/10000  350 records/s` on standard error, redrawn at most ten times a second.
final class ProgressBar {
    let total: Int
    let start = ContinuousClock.now
    var lastDrawn = ContinuousClock.now - .seconds(1)

    init(total: Int) {
        self.total = total
    }

    func update(_ done: Int) {
        guard ContinuousClock.now - lastDrawn >= .milliseconds(100) else { return }
        lastDrawn = .now
        draw(done)
    }

    func finish(_ done: Int) {
        draw(done)
        FileHandle.standardError.write(Data("\n".utf8))
    }

    func draw(_ done: Int) {
        let seconds = (ContinuousClock.now - start).inSeconds
        let perSecond = seconds > 0 ? Int(Double(done) / seconds) : 0
        var line = "\r"
        if total > 0 {
            let width = 30
            let filled = min(width, done * width / total)
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(done)/\(total)"
        } else {
            line += "\(done) records"
        }
        FileHandle.standardError.write(Data((line + "  \(perSecond) records/s\u{1B}[K").utf8))
    }
}

extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
