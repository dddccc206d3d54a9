import ArgumentParser

/// Verbs of the scoring engine, registered on the root command.
var scoringCommands: [any ParsableCommand.Type] { [] }

/// Benchmarks of the scoring engine, registered under `steward bench`.
var scoringBenchCommands: [any ParsableCommand.Type] { [] }
