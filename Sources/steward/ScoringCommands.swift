import ArgumentParser

/// Verbs of the scoring engine, registered on the root command.
var scoringCommands: [any ParsableCommand.Type] { [Score.self] }

