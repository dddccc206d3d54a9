import ArgumentParser
import CommandSupport
import EngineStages
import Foundation
import Pipeline
import Redaction

/// `steward bench redact`: throughput of detection + de-identification on a generated chat-like corpus.
struct RedactBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Measure redaction throughput (MB/s, records/s) on one core over a generated chat corpus."
    )

    @Option(help: "Corpus size in megabytes (10^6 bytes).")
    var mb: Int = 200

    @Option(help: "Seed of the corpus generator.")
    var seed: UInt64 = 42

    @Option(help: "Benchmark on this file's lines instead of the generated corpus.")
    var corpus: String?

    @Flag(help: "Only time the scanner over the corpus as one buffer (for profiling).")
    var scanOnly = false

    @Flag(help: "Only run per-record detection over the corpus, ten times (for profiling).")
    var detectOnly = false

    @Option(help: "Write the generated corpus to this file (one record a line) and exit.")
    var writeCorpus: String?

    @Option(help: "Topology whose `redaction:` section the pipeline-stage line uses.")
    var stageTopology: String = "Topologies/chats.yaml"

    func run() throws {
        let target = mb * 1_000_000
        var lines = BenchCorpus.generate(bytes: corpus == nil ? target : 0, seed: seed)
        if let corpus {
            guard let d = FileManager.default.contents(atPath: corpus) else { throw ValidationError("cannot read \(corpus)") }
            // Split on the bytes: `String.split` walks grapheme clusters and took longer than the runs.
            lines = d.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                var out: [String] = []
                var start = 0
                for k in 0...bytes.count where k == bytes.count || bytes[k] == 10 {
                    out.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<k]), as: UTF8.self))
                    start = k + 1
                }
                return out
            }
        }
        if let writeCorpus {
            var data = Data()
            for l in lines {
                data.append(contentsOf: l.utf8)
                data.append(10)
            }
            try data.write(to: URL(fileURLWithPath: writeCorpus))
            print("wrote \(lines.count) lines to \(writeCorpus)")
            return
        }
        let total = lines.reduce(0) { $0 + $1.utf8.count }
        let redactor = try Redactor(policy: .default, keys: nil)
        if scanOnly {
            var joined = lines.joined(separator: "\n")
            for _ in 0..<5 { _ = joined.withUTF8 { redactor.entities(utf8: $0).count } }
            return
        }
        if detectOnly {
            var found = 0
            for _ in 0..<10 { for l in lines { found &+= redactor.entities(in: l).count } }
            print("\(found) entities")
            return
        }
        // Warm up on a slice, then time the whole corpus twice: detect only, and detect + replace.
        for l in lines.prefix(1000) { _ = redactor.redact(text: l) }
        func cpu() -> Double {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        }
        let clock = ContinuousClock()
        let c0 = cpu()
        var found = 0
        let t0 = clock.now
        for l in lines { found &+= redactor.entities(in: l).count }
        let detect = clock.now - t0
        let c1 = cpu()
        // The scanner alone, over the whole corpus as one buffer (no per-record call overhead).
        var joined = lines.joined(separator: "\n")
        let cj0 = cpu()
        let bulk = joined.withUTF8 { redactor.entities(utf8: $0).count }
        let cj1 = cpu()
        var outBytes = 0
        let c1b = cpu()
        let t1 = clock.now
        for l in lines { outBytes &+= redactor.redact(text: l).utf8.count }
        let redact = clock.now - t1
        let c2 = cpu()
        // The batch entry points: 1 000 records a call, one workspace, the result storage reused.
        let workspace = Redactor.Workspace()
        var batch = Redactor.EntityBatch()
        var redactedBatch: [String] = []
        var foundBatched = 0
        var outBatched = 0
        let cb0 = cpu()
        for k in stride(from: 0, to: lines.count, by: 1000) {
            redactor.entities(inEach: lines[k..<min(k + 1000, lines.count)], workspace: workspace, into: &batch)
            foundBatched &+= batch.entities.count
        }
        let cb1 = cpu()
        for k in stride(from: 0, to: lines.count, by: 1000) {
            redactor.redact(each: lines[k..<min(k + 1000, lines.count)], workspace: workspace, into: &redactedBatch)
            for r in redactedBatch { outBatched &+= r.utf8.count }
        }
        let cb2 = cpu()
        guard foundBatched == found, outBatched == outBytes else {
            throw ValidationError("batched and per-record results differ")
        }
        let stage = try stageCPUTime(lines, cpu: cpu)
        func secs(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        let mbTotal = Double(total) / 1e6
        print("corpus: \(lines.count) records, \(String(format: "%.1f", mbTotal)) MB, \(found) entities")
        print(String(format: "detect: %.0f MB/s, %.0f records/s (wall); %.0f MB/s, %.0f records/s (thread CPU time)",
                     mbTotal / secs(detect), Double(lines.count) / secs(detect), mbTotal / (c1 - c0), Double(lines.count) / (c1 - c0)))
        print(String(format: "redact: %.0f MB/s, %.0f records/s (wall); %.0f MB/s, %.0f records/s (thread CPU time)",
                     mbTotal / secs(redact), Double(lines.count) / secs(redact), mbTotal / (c2 - c1b), Double(lines.count) / (c2 - c1b)))
        print(String(format: "scan as one buffer: %.0f MB/s (thread CPU time), %d entities", mbTotal / (cj1 - cj0), bulk))
        print(String(format: "  batched detect (1 000 records a call): %.0f MB/s, %.0f records/s (thread CPU time)",
                     mbTotal / (cb1 - cb0), Double(lines.count) / (cb1 - cb0)))
        print(String(format: "  batched redact (1 000 records a call): %.0f MB/s, %.0f records/s (thread CPU time)",
                     mbTotal / (cb2 - cb1), Double(lines.count) / (cb2 - cb1)))
        print("  pipeline redaction stage (\(stage.policy) policy, one JSON record a line): "
              + String(format: "%.0f MB/s, %.0f records/s (thread CPU time)", mbTotal / stage.seconds,
                       Double(lines.count) / stage.seconds))
        if outBytes == 0 { print("") }
    }

    /// The pipeline's `RedactionStage` over every line as the `message` of a decoded chat record
    /// (`id`, `message`, `region`, `ts`, `n`), with the `redaction:` section of `stageTopology`
    /// (the default policy when that file cannot be read). Returns the thread CPU time of the loop.
    func stageCPUTime(_ lines: [String], cpu: () -> Double) throws -> (policy: String, seconds: Double) {
        var policy = RedactionPolicy.default
        var name = "default"
        if let d = FileManager.default.contents(atPath: stageTopology) {
            do { policy = try RedactionPolicy.fromTopology(yaml: String(decoding: d, as: UTF8.self)) } catch {
                throw ValidationError("\(error)")
            }
            name = (stageTopology as NSString).lastPathComponent
        }
        // Called as the processor calls its stages, through the protocol.
        var stage: any RecordStage = RedactionStage(redactor: try Redactor(policy: policy, keys: nil))
        let regions = ["eu", "us", "apac"]
        var records: [JSONValue] = lines.indices.map { k in
            .object([
                ("id", .string("chat-\(k)")), ("message", .string(lines[k])), ("region", .string(regions[k % 3])),
                ("ts", .string("2026-11-29T08:00:00Z")), ("n", .number(String(k))),
            ])
        }
        let context = RecordContext(position: "bench", eventTime: nil)
        for k in 0..<min(1000, records.count) {
            var warm = records[k]
            try stage.process(&warm, context: context)
        }
        let c0 = cpu()
        for k in records.indices {
            // Moved out of the array, so the record is uniquely held as a freshly decoded one is.
            var record = records[k]
            records[k] = .null
            try stage.process(&record, context: context)
            records[k] = record
        }
        let c1 = cpu()
        guard records.allSatisfy({ if case .object(let members) = $0 { members.count == 5 } else { false } }) else {
            throw ValidationError("the redaction stage dropped a field")
        }
        return (name, c1 - c0)
    }
}

/// A deterministic chat-like corpus: short conversational messages, most with no personal data, some
/// with names, e-mails, phones, cards, IBANs, dates, addresses and the usual hard negatives.
enum BenchCorpus {
    struct RNG {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ a: [T]) -> T { a[int(a.count)] }
        mutating func digits(_ k: Int) -> String { String((0..<k).map { _ in Character(String(int(10))) }) }
    }

    static let plain = [
        "hey are you still coming to the thing tonight", "lol that was so funny i can't even",
        "ok sounds good, see you there", "can you send me the notes from the meeting when you get a chance",
        "i think the build is broken again, the tests are failing on main", "did you see the game last night? what a finish",
        "thanks for the help earlier, really appreciate it", "running about 10 minutes late, traffic is terrible",
        "the new release looks great, nice work everyone", "what time works for you tomorrow afternoon",
        "i'll be out of office next week, ping me if anything urgent comes up",
        "can we push the review to thursday? still waiting on the data", "my order still hasn't arrived, any update",
        "the app keeps crashing when i open the settings page", "sure, i can take a look after lunch",
        "we should grab coffee sometime this week", "just pushed a fix, let me know if it works for you",
        "the dashboard is showing weird numbers again", "i was charged twice for the same subscription",
        "happy birthday!! hope you have an amazing day", "please reset my password, i can't log in",
        "ordered 3 items but only 2 arrived in the box", "great, thanks! have a nice weekend",
    ]
    static let first = ["James", "Maria", "Anna", "David", "Sophie", "Lukas", "Priya", "Carlos", "Emma", "Hiroshi", "Olivia", "Mohammed"]
    static let last = ["Smith", "Garcia", "Müller", "Rossi", "Dubois", "Patel", "Tanaka", "Johnson", "Schmidt", "Novak"]
    static let cities = ["London", "Berlin", "Paris", "Madrid", "Chicago", "Mumbai", "Toronto", "Amsterdam"]

    static func generate(bytes: Int, seed: UInt64) -> [String] {
        var r = RNG(s: seed)
        var out: [String] = []
        var total = 0
        while total < bytes {
            // One chat turn: one to four messages, 40–300 bytes.
            var turn: [String] = []
            for _ in 0..<(1 + r.int(4)) { turn.append(message(&r)) }
            let line = turn.joined(separator: ". ")
            total += line.utf8.count + 1
            out.append(line)
        }
        return out
    }

    static func message(_ r: inout RNG) -> String {
        do {
            var line = r.pick(plain)
            let roll = r.int(100)
            switch roll {
            case 0..<6: line = "hi \(r.pick(first)), " + line
            case 6..<9: line += " - \(r.pick(first)) \(r.pick(last))"
            case 9..<11: line += ", email me at \(r.pick(first).lowercased()).\(r.pick(last).lowercased())@example.com"
            case 11..<13: line += ", call me on +1 415 \(r.digits(3)) \(r.digits(4))"
            case 13..<14: line = "card ending 4242, order #\(r.digits(8)) shipped, " + line
            case 14..<15: line = "flying to \(r.pick(cities)) on July \(1 + r.int(28)), 2025 - " + line
            case 15..<17: line += " (ticket \(r.digits(6)), v2.\(r.int(20)).\(r.int(9)), 12:\(10 + r.int(49)))"
            case 17..<18: line = "ip 10.\(r.int(255)).\(r.int(255)).\(r.int(255)) timed out, " + line
            case 18..<20: line += " https://example.com/docs/\(r.digits(4))"
            default: break
            }
            if r.int(4) == 0 { line = line.prefix(1).uppercased() + line.dropFirst() }
            return line
        }
    }
}
