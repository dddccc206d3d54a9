import ArgumentParser
import CommandSupport
import EngineStages
import Foundation
import Pipeline
import Scoring

#if canImport(Glibc)
import Glibc
#endif

/// CPU time of the calling thread, in seconds: unaffected by other processes sharing the cores.
private func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// A record with fixed fields, so the benchmark measures scoring rather than JSON parsing or
/// field look-up (the JSON lines measure those too). Its text and numbers live in a
/// `BenchRecordStorage`: a record is two buffer pointers, so taking one from the array retains
/// nothing, and the harness adds no reference counting of its own per record.
private struct BenchRecord: FeatureRecord {
    let text: UnsafeBufferPointer<UInt8>?
    let numbers: UnsafeBufferPointer<Double>

    func fieldValue(_ field: String) -> FieldValue? {
        if let text { return .string(String(decoding: text, as: UTF8.self)) }
        // Numeric fields are named f0, f1, …: the digits after the "f" index `numbers`.
        var k = 0
        for b in field.utf8.dropFirst() { k = k &* 10 &+ Int(b) &- 48 }
        return k >= 0 && k < numbers.count ? .number(numbers[k]) : nil
    }

    func withUTF8(ofField field: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> StringFieldRead {
        guard let text else { return FieldValue.withUTF8(of: fieldValue(field), body) }
        body(text)
        return .read
    }
}

/// Owns the bytes and numbers `BenchRecord`s point into; keep it alive while they are used.
private final class BenchRecordStorage {
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let values: UnsafeMutableBufferPointer<Double>
    let records: [BenchRecord]

    init(texts: [String] = [], rows: [[Double]] = []) {
        bytes = .allocate(capacity: max(texts.reduce(0) { $0 + $1.utf8.count }, 1))
        values = .allocate(capacity: max(rows.reduce(0) { $0 + $1.count }, 1))
        var records: [BenchRecord] = []
        var at = 0
        for text in texts {
            let start = at
            for b in text.utf8 {
                bytes[at] = b
                at += 1
            }
            records.append(BenchRecord(text: UnsafeBufferPointer(rebasing: bytes[start..<at]), numbers: UnsafeBufferPointer(start: nil, count: 0)))
        }
        at = 0
        for row in rows {
            let start = at
            for x in row {
                values[at] = x
                at += 1
            }
            records.append(BenchRecord(text: nil, numbers: UnsafeBufferPointer(rebasing: values[start..<at])))
        }
        self.records = records
    }

    deinit {
        bytes.deallocate()
        values.deallocate()
    }
}

/// `steward bench score`: single-thread scoring throughput on generated records.
struct ScoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Measure single-core scoring throughput (featurize + model), in records per CPU-second.",
        discussion: """
            Hashed-text linear: HashingVectorizer(n_features 2^18) + LogisticRegression-shaped LinearClassifier \
            on 200-byte texts, for unigrams and for unigrams+bigrams. Trees: TreeEnsembleClassifier of 100 \
            complete depth-6 trees on 20 numeric features. Models have random parameters; records are generated \
            once and cycled. The main lines are featurize + model + probability on in-memory records; the \
            indented lines add explanations (--explain 3) or JSON parsing. Rates are per second of this \
            thread's CPU time, so other load on the machine does not count against them. Build with -c release.
            """)

    @Option(help: "Records scored per measurement for the text model.")
    var textRecords = 2_000_000

    @Option(help: "Records scored per measurement for the tree ensemble.")
    var treeRecords = 1_000_000

    @Option(help: "Repetitions; the best is reported.")
    var repeats = 3

    @Flag(
        inversion: .prefixedNo,
        help: "Also time explain 3 (named attributions; TreeSHAP for trees) on 1/10 (text), 1/100 (trees) of the records.")
    var explain = true

    @Flag(
        inversion: .prefixedNo,
        help: "Also time records read from JSON lines (parse + field look-up + score, as `steward score` does).")
    var json = true

    func run() throws {
        let texts = Self.texts(count: 4096, bytes: 200)
        for ngrams in [[1, 1], [1, 2]] {
            let model = try SyntheticModels.hashedTextLinear(ngrams: ngrams)
            let records = BenchRecordStorage(texts: texts)
            report("hashed-text linear, ngram_range \(ngrams), 200-byte texts", try measure(model, records, textRecords))
            if explain {
                report("  with --explain 3", try measure(model, records, textRecords / 10, explain: 3))
            }
            if json {
                let lines = texts.map { Array("{\"text\":\"\($0)\"}".utf8) }
                report("  from JSON lines (parse included)", try measureJSON(model, lines, textRecords / 10))
            }
        }
        // Non-ASCII text skips the tokenizer's vector path (one accented word per text suffices).
        let accented = Self.texts(count: 4096, bytes: 200, extraWords: ["café", "müller", "señal", "naïve"])
        let unigrams = try SyntheticModels.hashedTextLinear(ngrams: [1, 1])
        report(
            "hashed-text linear, ngram_range [1, 1], 200-byte texts with accented words",
            try measure(unigrams, BenchRecordStorage(texts: accented), textRecords))
        var rng = SplitMix64(seed: 7)
        let numbers = (0..<4096).map { _ in (0..<20).map { _ in rng.nextUniform() * 2 - 1 } }
        let rows = BenchRecordStorage(rows: numbers)
        let trees = try SyntheticModels.treeEnsemble()
        report("tree ensemble, 100 trees depth 6, 20 features", try measure(trees, rows, treeRecords))
        if explain {
            report("  with --explain 3 (TreeSHAP)", try measure(trees, rows, treeRecords / 100, explain: 3))
        }
        if json {
            let lines = numbers.map { row in
                Array(("{" + row.enumerated().map { "\"f\($0.offset)\":\($0.element)" }.joined(separator: ",") + "}").utf8)
            }
            report("  from JSON lines (parse included)", try measureJSON(trees, lines, treeRecords / 10))
        }
    }

    /// Records per CPU-second when each record is a JSON line parsed first (allocates per record).
    private func measureJSON(_ model: ScoringModel, _ lines: [[UInt8]], _ n: Int) throws -> Double {
        var scorer = Scorer(model: model)
        var sink = 0.0
        var best = 0.0
        for _ in 0..<max(repeats, 1) {
            let start = threadCPUSeconds()
            for i in 0..<n { sink += try scorer.score(JSONFeatureRecord(value: try JSONParser.parse(lines[i & 4095]))) }
            best = max(best, Double(n) / (threadCPUSeconds() - start))
        }
        if sink.isNaN { print("(nan)") }
        return best
    }

    private func report(_ name: String, _ perSecond: Double) {
        FileHandle.standardOutput.write(Data("\(name): \(Int(perSecond)) records/s\n".utf8))
    }

    private func measure(_ model: ScoringModel, _ storage: BenchRecordStorage, _ n: Int, explain k: Int = 0) throws -> Double {
        let records = storage.records
        var scorer = Scorer(model: model)
        var sink = 0.0
        for r in records { sink += try scorer.score(r) }  // warm: buffers reach their size
        var best = 0.0
        for _ in 0..<max(repeats, 1) {
            let start = threadCPUSeconds()
            if k > 0 {
                for i in 0..<n { sink += try scorer.score(records[i & 4095], explain: k).score }
            } else {
                for i in 0..<n { sink += try scorer.score(records[i & 4095]) }
            }
            best = max(best, Double(n) / (threadCPUSeconds() - start))
        }
        if sink.isNaN { print("(nan)") }
        withExtendedLifetime(storage) {}
        return best
    }

    /// Chat-like texts of about `bytes` UTF-8 bytes (ASCII words, some capitalized, plus `extraWords`).
    static func texts(count: Int, bytes: Int, extraWords: [String] = []) -> [String] {
        let words = [
            "order", "refund", "please", "account", "delivery", "the", "my", "was", "again", "manager", "thanks",
            "invoice", "charged", "twice", "today", "support", "cancel", "subscription", "address", "Hello",
            "URGENT", "help", "waiting", "days", "package", "missing", "email", "update", "service", "quick",
        ] + extraWords
        var rng = SplitMix64(seed: 3)
        return (0..<count).map { _ in
            var s = ""
            while s.utf8.count < bytes {
                if !s.isEmpty { s += " " }
                s += words[Int(rng.next() % UInt64(words.count))]
            }
            return String(decoding: s.utf8.prefix(bytes), as: UTF8.self)
        }
    }
}
