import ArgumentParser

/// Verbs of the privacy engine, registered on the root command.
var privacyCommands: [any ParsableCommand.Type] { [PrivacyCommand.self] }

/// Benchmarks of the privacy engine, registered under `steward bench`.
var privacyBenchCommands: [any ParsableCommand.Type] { [PrivacyBench.self] }
