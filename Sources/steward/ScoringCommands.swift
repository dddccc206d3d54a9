import ArgumentParser

/// Verbs of the scoring engine, registered on the root command.
var scoringCommands: [any ParsableCommand.Type] { [Score.self] }

/// Benchmarks of the scoring engine, registered under `steward bench`.
var scoringBenchCommands: [any ParsableCommand.Type] { [ScoreBench.self] }
