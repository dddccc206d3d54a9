import ArgumentParser

/// Verbs of the fairness engine, registered on the root command.
var fairnessCommands: [any ParsableCommand.Type] { [FairnessCommand.self] }

/// Benchmarks of the fairness engine, registered under `steward bench`.
var fairnessBenchCommands: [any ParsableCommand.Type] { [FairnessBenchDrift.self] }
