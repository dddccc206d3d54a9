import ArgumentParser
import BuildInfo
import EngineStages
import Foundation
import Pipeline
import Privacy

// What the command-line executables (`steward`, `steward-bench`) share: reading topologies and
// files, and printing.

/// Reads and validates a topology file, printing every problem as `file:line:column: message`.
public func loadTopology(_ path: String) throws -> Topology {
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
public func loadProcessor(_ path: String) throws -> Processor {
    let topology = try loadTopology(path)
    return try reportingEngineErrors(path) {
        try topology.makeProcessor(file: path, environment: engineEnvironment(for: path))
    }
}

/// Reads a topology and builds only its record stages (redaction, scoring), without explanations:
/// what `steward generate` scores candidates with. Needs none of the stream stages' secrets.
public func loadRecordStages(_ path: String) throws -> [any RecordStage] {
    let topology = try loadTopology(path)
    return try reportingEngineErrors(path) {
        try topology.makeRecordStages(file: path, environment: engineEnvironment(for: path), explanations: false)
    }
}

/// Runs `build`, printing any error as `file:line:column: message` and exiting 1 instead.
func reportingEngineErrors<T>(_ path: String, _ build: () throws -> T) throws -> T {
    do {
        return try build()
    } catch let errors as TopologyErrors {
        FileHandle.standardError.write(Data((errors.description + "\n").utf8))
        throw ExitCode(1)
    } catch {
        FileHandle.standardError.write(Data("\(path): \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Model cards and key files are named relative to the topology file; secrets come from the environment.
func engineEnvironment(for path: String) -> EngineEnvironment {
    let base = (path as NSString).deletingLastPathComponent
    return EngineEnvironment(
        baseDirectory: base.isEmpty ? "." : base, variables: ProcessInfo.processInfo.environment, readFile: readFileBytes)
}

/// The engines' file reads (model cards, models, key files) go through this one function.
@Sendable public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
    return Array(data)
}

public func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// The processor counters as one JSON line. `unused_by_stream_stages` counts sanitized records that a
/// stream stage dead-lettered as well (e.g. later than every open fairness window): they are in
/// `sanitized` and each also has a message on the dead-letter topic.
public func summaryJSON(_ counters: Processor.Counters) -> String {
    let reasons = counters.deadLettersByReason.keys.sorted().map { "\"\($0)\":\(counters.deadLettersByReason[$0]!)" }
    return "{\"consumed\":\(counters.consumed),\"sanitized\":\(counters.sanitized),"
        + "\"dead_lettered\":\(counters.deadLettered),\"dead_letters_by_reason\":{\(reasons.joined(separator: ","))},"
        + "\"unused_by_stream_stages\":\(counters.unusedByStreamStages),\"idle_merges\":\(counters.idleMerges)}"
}

/// `--mechanism tree|honaker|sqrt|blt` in `privacy simulate` and `bench privacy`.
extension PrivacyConfiguration.Mechanism: ExpressibleByArgument {}

/// `0.1.0 (commit 1a2b3c…)`: the version and the git commit this binary was built from.
public var stewardVersionDescription: String {
    "\(String(cString: steward_version())) (commit \(String(cString: steward_git_commit())))"
}
