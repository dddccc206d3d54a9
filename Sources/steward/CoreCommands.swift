import ArgumentParser

/// The pipeline verbs: broker, run, replay, validate, demo.
var coreCommands: [any ParsableCommand.Type] { [] }
