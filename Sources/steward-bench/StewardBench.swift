import ArgumentParser
import CommandSupport
import Foundation
import Runtime

/// `steward-bench`: the throughput and accuracy benchmarks whose figures go in Docs/benchmarks.md,
/// apart from the product binary. `steward bench <area> …` runs it with the same arguments.
@main
struct StewardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steward bench",
        abstract: "Measure throughput of one engine on generated data.",
        subcommands: [
            PipelineBench.self, KafkaBench.self, StateBench.self, RedactBenchCommand.self, ScoreBench.self,
            PrivacyBench.self, FairnessBenchDrift.self,
        ]
    )

    /// Checks the processor (`CPUBaseline`) before any engine code runs, as `steward` does.
    static func main() {
        if let problem = CPUBaseline.problem() {
            FileHandle.standardError.write(Data("steward-bench: \(problem)\n".utf8))
            Foundation.exit(70)  // EX_SOFTWARE
        }
        main(nil)
    }
}
