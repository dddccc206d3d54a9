import ArgumentParser

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
}

/// `steward bench <area>`: throughput benchmarks whose figures go in the README.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput of one engine on generated data.",
        subcommands: coreBenchCommands + redactionBenchCommands + privacyBenchCommands + scoringBenchCommands + fairnessBenchCommands
    )
}
