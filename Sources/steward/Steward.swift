import ArgumentParser
import CommandSupport
import Foundation
import Runtime

@main
struct Steward: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward",
        abstract: "Governs machine-learning decisions on live Kafka streams.",
        discussion: """
            Steward redacts personal data, scores records with an on-device model and explains \
            the score, releases counts with differential privacy, and watches group fairness. \
            A topology (YAML) describes one pipeline; `validate` checks it, `replay` runs it over a \
            JSONL file with no broker, and `run` runs it against Kafka.
            """,
        version: stewardVersionDescription,
        subcommands: coreCommands + redactionCommands + privacyCommands + scoringCommands + fairnessCommands + auditCommands
            + [Bench.self]
    )

    /// Checks the processor (`CPUBaseline`) before any engine code runs, then parses and runs the verb.
    static func main() async {
        if let problem = CPUBaseline.problem() {
            FileHandle.standardError.write(Data("steward: \(problem)\n".utf8))
            Foundation.exit(70)  // EX_SOFTWARE
        }
        await main(nil)
    }
}

/// `steward bench <area> …`: runs the `steward-bench` executable that sits next to this one, with
/// the same arguments, so the benchmarks stay out of the product binary.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput of one engine on generated data (runs steward-bench).",
        discussion: """
            Areas: pipeline, kafka, state, redact, score, privacy, drift; `steward bench <area> --help` for each. \
            Needs the steward-bench executable beside steward (swift build builds both).
            """
    )

    @Argument(parsing: .captureForPassthrough, help: "The benchmark and its options.")
    var arguments: [String] = []

    func run() throws {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let bench = ((own as NSString).deletingLastPathComponent as NSString).appendingPathComponent("steward-bench")
        guard FileManager.default.isExecutableFile(atPath: bench) else {
            throw ValidationError("steward bench needs \(bench): build it with `swift build --product steward-bench`")
        }
        let argv = [bench] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        execv(bench, &cArguments)
        throw ValidationError("cannot run \(bench): \(String(cString: strerror(errno)))")
    }
}
