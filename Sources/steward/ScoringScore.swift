import ArgumentParser
import CommandSupport
import EngineStages
import Foundation
import Pipeline
import Scoring

/// A JSON record read by the scorer.
/// `steward score --model CARD.yaml [--explain K]`: scores JSONL records from stdin.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score JSONL records from stdin with an on-device model, one JSON line out per record.",
        discussion: """
            Each output line is {"score": p, "label": L, "attributions": [{"feature": f, "contribution": c}], \
            "model": {"name": n, "version": v, "sha256": h}}. A record that cannot be scored (invalid JSON, \
            a missing feature under the dead_letter policy) gives {"error": {"code": c, "message": m}} on its \
            line instead, and the exit status is 1 at the end.
            """)

    @Option(name: .long, help: "Model card YAML; the .onnx it names sits next to it.")
    var model: String

    @Option(name: .long, help: "Number of top attributions per record.")
    var explain: Int = 0

    /// Test hooks: the exact feature row, or every contribution with the base value.
    @Flag(name: .customLong("dump-features"), help: .hidden)
    var dumpFeatures = false

    @Flag(name: .customLong("dump-contributions"), help: .hidden)
    var dumpContributions = false

    func run() throws {
        guard explain >= 0 else { throw ValidationError("--explain must be >= 0") }
        let loaded: ScoringModel
        do {
            loaded = try ScoringModel.load(cardPath: model, readFile: readFileBytes)
        } catch {
            throw ValidationError("cannot load model: \(error)")
        }
        var scorer = Scorer(model: loaded)
        var failures = 0
        var out = JSONWriter(capacity: 1 << 16)
        while let line = readLine(strippingNewline: true) {
            if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            do {
                let value = try JSONParser.parse(Array(line.utf8))
                let record = JSONFeatureRecord(value: value)
                if dumpFeatures {
                    try scorer.featurize(record)
                    writeFeatures(scorer.scratch.vector, &out)
                } else if dumpContributions {
                    let score = try scorer.score(record)
                    writeContributions(score, scorer.contributions(), &out)
                } else {
                    let result = try scorer.score(record, explain: explain)
                    writeResult(result, &out)
                }
            } catch let error as ScoringError {
                failures += 1
                writeError(code: error.code.description, message: error.message, &out)
            } catch {
                failures += 1
                writeError(code: "invalid_json", message: "\(error)", &out)
            }
            out.appendASCII("\n")
            if out.bytes.count > 1 << 15 { flush(&out) }
        }
        flush(&out)
        if failures > 0 { throw ExitCode(1) }
    }

    private func flush(_ out: inout JSONWriter) {
        FileHandle.standardOutput.write(Data(out.bytes))
        out = JSONWriter(capacity: 1 << 16)
    }
}

func writeNumber(_ x: Double, _ out: inout JSONWriter) {
    if x.isFinite { out.appendRaw("\(x)".utf8) } else { out.appendASCII("null") }
}

private func writeResult(_ r: ScoreResult, _ out: inout JSONWriter) {
    out.appendASCII("{\"score\":")
    writeNumber(r.score, &out)
    out.appendASCII(",\"label\":")
    out.writeString(r.label)
    out.appendASCII(",\"attributions\":[")
    for (i, a) in r.attributions.enumerated() {
        if i > 0 { out.appendASCII(",") }
        out.appendASCII("{\"feature\":")
        out.writeString(a.feature)
        out.appendASCII(",\"contribution\":")
        writeNumber(a.contribution, &out)
        out.appendASCII("}")
    }
    out.appendASCII("],\"model\":{\"name\":")
    out.writeString(r.model.name)
    out.appendASCII(",\"version\":")
    out.writeString(r.model.version)
    out.appendASCII(",\"sha256\":")
    out.writeString(r.model.sha256)
    out.appendASCII("}}")
}

private func writeError(code: String, message: String, _ out: inout JSONWriter) {
    out.appendASCII("{\"error\":{\"code\":")
    out.writeString(code)
    out.appendASCII(",\"message\":")
    out.writeString(message)
    out.appendASCII("}}")
}

private func writeFeatures(_ v: SparseAccumulator, _ out: inout JSONWriter) {
    let nonzero = zip(v.indices, v.values).filter { $0.1 != 0 }.sorted { $0.0 < $1.0 }
    out.appendASCII("{\"indices\":[")
    out.appendRaw(nonzero.map { String($0.0) }.joined(separator: ",").utf8)
    out.appendASCII("],\"values\":[")
    for (i, entry) in nonzero.enumerated() {
        if i > 0 { out.appendASCII(",") }
        writeNumber(entry.1, &out)
    }
    out.appendASCII("]}")
}

private func writeContributions(
    _ score: Double, _ c: (values: [(index: Int, contribution: Double)], base: Double)?, _ out: inout JSONWriter
) {
    out.appendASCII("{\"score\":")
    writeNumber(score, &out)
    guard let c else {
        out.appendASCII("}")
        return
    }
    let sorted = c.values.sorted { $0.index < $1.index }
    out.appendASCII(",\"base\":")
    writeNumber(c.base, &out)
    out.appendASCII(",\"indices\":[")
    out.appendRaw(sorted.map { String($0.index) }.joined(separator: ",").utf8)
    out.appendASCII("],\"values\":[")
    for (i, v) in sorted.enumerated() {
        if i > 0 { out.appendASCII(",") }
        writeNumber(v.contribution, &out)
    }
    out.appendASCII("]}")
}
