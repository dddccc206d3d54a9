import ArgumentParser

/// Verbs of the fairness engine, registered on the root command.
var fairnessCommands: [any ParsableCommand.Type] { [FairnessCommand.self] }

