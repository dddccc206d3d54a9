import ArgumentParser
import CommandSupport
import EngineStages
import Foundation
import Pipeline
import Redaction

/// Verbs of the redaction engine, registered on the root command.
var redactionCommands: [any ParsableCommand.Type] { [RedactCommand.self] }


enum EmitMode: String, ExpressibleByArgument, CaseIterable {
    case redacted, entities
}

enum InputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, jsonl
}

struct RedactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "redact",
        abstract: "Detect and de-identify personal data in lines read from standard input.",
        discussion: """
            Reads stdin, writes stdout, one output line per input line. With --emit entities each line \
            becomes {"entities":[{"type":…,"start":…,"end":…,"score":…}]} with Unicode code-point offsets \
            (end exclusive). With --input-format jsonl each line is a JSON record: field rules and free-text \
            scanning follow the topology's `redaction:` section, and entities carry the field's JSON path. \
            Keyed operators read the key from STEWARD_REDACTION_KEY or the file named by \
            STEWARD_REDACTION_KEY_FILE; --decrypt reverses `encrypt` tokens with the same key.
            """
    )

    @Option(help: "Topology YAML whose `redaction:` section sets the policy.")
    var topology: String?

    @Option(help: "What to write: the de-identified text (redacted) or the detected spans (entities).")
    var emit: EmitMode = .redacted

    @Option(name: .customLong("input-format"), help: "text: each line is free text; jsonl: each line is a JSON record.")
    var inputFormat: InputFormat = .text

    @Flag(help: "Replace <ENC_…> tokens made by the encrypt operator with their plaintext (needs the key).")
    var decrypt = false

    func run() throws {
        let policy = try RedactionCLI.loadPolicy(topology)
        let keys = try RedactionCLI.loadKeys()
        if decrypt {
            guard let keys else {
                throw ValidationError("--decrypt needs \(RedactionKeys.environmentVariable) or \(RedactionKeys.fileVariable)")
            }
            var failures = 0
            var out = OutputBuffer()
            LineReader.forEachLine { line in
                let r = Redactor.decrypt(text: String(decoding: line, as: UTF8.self), keys: keys)
                failures += r.failures
                out.write(r.text)
                out.newline()
            }
            out.flush()
            if failures > 0 {
                FileHandle.standardError.write(Data("steward redact: \(failures) token(s) did not authenticate under this key\n".utf8))
                throw ExitCode(2)
            }
            return
        }
        let redactor: Redactor
        do { redactor = try Redactor(policy: policy, keys: keys) } catch { throw ValidationError(error.description) }
        var out = OutputBuffer()
        var lineNo = 0
        var rejected = 0
        // Property-wrapper getters are slow; read the options once.
        let emit = self.emit
        let inputFormat = self.inputFormat
        // Scratch buffers reused for every line.
        let workspace = Redactor.Workspace()
        LineReader.forEachLine { line in
            lineNo += 1
            let text: String
            do {
                text = try redactor.validated(utf8: line)
            } catch {
                rejected += 1
                FileHandle.standardError.write(Data("steward redact: line \(lineNo): \(error); rejected by policy\n".utf8))
                out.write(emit == .entities ? "{\"error\":\"invalid_utf8\",\"entities\":[]}" : "")
                out.newline()
                return
            }
            switch (inputFormat, emit) {
            case (.text, .redacted):
                out.write(redactor.redact(text: text, workspace: workspace))
            case (.text, .entities):
                RedactionCLI.writeEntities(redactor.entities(in: text, workspace: workspace), path: nil, into: &out, first: true, close: true)
            case (.jsonl, _):
                guard let value = try? JSONParser.parse(Array(text.utf8)) else {
                    FileHandle.standardError.write(Data("steward redact: line \(lineNo): not a JSON value\n".utf8))
                    out.write(emit == .entities ? "{\"error\":\"invalid_json\",\"entities\":[]}" : "")
                    out.newline()
                    return
                }
                if emit == .redacted {
                    do {
                        var r = value
                        try redactor.redact(record: &r, workspace: workspace)
                        out.writeBytes(JSONWriter.encode(r))
                    } catch {
                        FileHandle.standardError.write(Data("steward redact: line \(lineNo): \(error)\n".utf8))
                    }
                } else {
                    var first = true
                    out.write("{\"entities\":[")
                    RedactionCLI.walkStrings(value, "$") { path, s in
                        let found = redactor.entities(in: s, workspace: workspace)
                        RedactionCLI.writeEntities(found, path: path, into: &out, first: first, close: false)
                        if !found.isEmpty { first = false }
                    }
                    out.write("]}")
                }
            }
            out.newline()
        }
        out.flush()
        if rejected > 0 { throw ExitCode(3) }
    }
}

enum RedactionCLI {
    static func loadPolicy(_ topology: String?) throws -> RedactionPolicy {
        guard let topology else { return .default }
        guard let data = FileManager.default.contents(atPath: topology) else {
            throw ValidationError("cannot read topology file \(topology)")
        }
        do {
            return try RedactionPolicy.fromTopology(yaml: String(decoding: data, as: UTF8.self))
        } catch let error as EngineConfigurationError {
            throw ValidationError(error.located(in: topology))
        } catch {
            throw ValidationError("topology \(topology): \(error)")
        }
    }

    static func loadKeys() throws -> RedactionKeys? {
        do {
            return try RedactionKeys.load(environment: ProcessInfo.processInfo.environment, readFile: readFileBytes)
        } catch {
            throw ValidationError(error.description)
        }
    }

    static func writeEntities(_ es: [Entity], path: String?, into out: inout OutputBuffer, first: Bool, close: Bool) {
        if es.isEmpty {
            if close { out.write("{\"entities\":[]}") }
            return
        }
        if close { out.write("{\"entities\":[") }
        var firstItem = first
        for e in es {
            if !firstItem { out.bytes.append(44) }
            firstItem = false
            out.write("{\"type\":\"")
            out.write(e.type.rawValue.utf8.allSatisfy { $0 >= 0x20 && $0 != 34 && $0 != 92 && $0 < 0x80 } ? e.type.rawValue : jsonEscape(e.type.rawValue))
            out.write("\",")
            if let path {
                out.write("\"path\":\"")
                out.write(jsonEscape(path))
                out.write("\",")
            }
            out.write("\"start\":")
            out.writeInt(e.start)
            out.write(",\"end\":")
            out.writeInt(e.end)
            out.write(",\"score\":")
            let hundredths = Int((e.score * 100).rounded())
            if hundredths >= 100 {
                out.write("1.0")
            } else {
                out.write(hundredths < 10 ? "0.0" : "0.")
                out.writeInt(hundredths % 10 == 0 && hundredths >= 10 ? hundredths / 10 : hundredths)
            }
            out.bytes.append(125)
        }
        if close { out.write("]}") }
    }

    static func jsonEscape(_ s: String) -> String {
        var w = JSONWriter()
        w.writeString(s)
        let b = w.bytes
        return String(decoding: b.dropFirst().dropLast(), as: UTF8.self)
    }

    static func walkStrings(_ v: JSONValue, _ path: String, _ body: (String, String) -> Void) {
        switch v {
        case .string(let s): body(path, s)
        case .array(let items):
            for (i, item) in items.enumerated() { walkStrings(item, "\(path)[\(i)]", body) }
        case .object(let members):
            for m in members { walkStrings(m.value, path + "." + m.key, body) }
        default: break
        }
    }
}

/// Reads stdin in large blocks and yields each line without its `\n` (and a trailing `\r`), as a
/// buffer that is valid only during the call; lines inside a block are not copied.
enum LineReader {
    static func forEachLine(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        let chunk = 1 << 20
        let buf = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buf.deallocate() }
        var pending: [UInt8] = []
        func emit(_ p: UnsafePointer<UInt8>, _ count: Int) {
            var c = count
            if c > 0 && p[c - 1] == 13 { c -= 1 }
            body(UnsafeBufferPointer(start: p, count: c))
        }
        while true {
            let n = read(0, buf, chunk)
            if n <= 0 { break }
            var start = 0
            var i = 0
            while i < n {
                guard let nl = memchr(buf + i, 10, n - i) else { break }
                let at = buf.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                if pending.isEmpty {
                    emit(buf + start, at - start)
                } else {
                    pending.append(contentsOf: UnsafeBufferPointer(start: buf + start, count: at - start))
                    pending.withUnsafeBufferPointer { emit($0.baseAddress!, $0.count) }
                    pending.removeAll(keepingCapacity: true)
                }
                start = at + 1
                i = start
            }
            pending.append(contentsOf: UnsafeBufferPointer(start: buf + start, count: n - start))
        }
        if !pending.isEmpty {
            pending.withUnsafeBufferPointer { emit($0.baseAddress!, $0.count) }
        }
    }
}

/// Buffered stdout.
struct OutputBuffer {
    var bytes: [UInt8] = []
    init() { bytes.reserveCapacity(1 << 20) }
    mutating func write(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        if bytes.count >= 1 << 20 { flush() }
    }
    mutating func writeBytes(_ b: [UInt8]) {
        bytes.append(contentsOf: b)
        if bytes.count >= 1 << 20 { flush() }
    }
    mutating func newline() { bytes.append(10) }
    mutating func writeInt(_ v: Int) {
        if v < 10 && v >= 0 {
            bytes.append(48 + UInt8(v))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = v < 0 ? -v : v
        var k = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[k] = 48 + UInt8(n % 10)
                n /= 10
                k += 1
            } while n > 0
            if v < 0 { bytes.append(45) }
            for j in stride(from: k - 1, through: 0, by: -1) { bytes.append(d[j]) }
        }
    }
    mutating func flush() {
        bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let w = Foundation.write(1, raw.baseAddress! + off, raw.count - off)
                if w <= 0 { break }
                off += w
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
