import ArgumentParser

/// Verbs of the privacy engine, registered on the root command.
var privacyCommands: [any ParsableCommand.Type] { [PrivacyCommand.self] }

