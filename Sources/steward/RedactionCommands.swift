import ArgumentParser

/// Verbs of the redaction engine, registered on the root command.
var redactionCommands: [any ParsableCommand.Type] { [] }

/// Benchmarks of the redaction engine, registered under `steward bench`.
var redactionBenchCommands: [any ParsableCommand.Type] { [] }
