import ArgumentParser
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
        subcommands: coreCommands + redactionCommands + privacyCommands + scoringCommands + fairnessCommands
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

/// `steward bench <area>`: throughput benchmarks whose figures go in the README.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput of one engine on generated data.",
        subcommands: coreBenchCommands + redactionBenchCommands + privacyBenchCommands + scoringBenchCommands + fairnessBenchCommands
    )
}
