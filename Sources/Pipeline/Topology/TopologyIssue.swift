/// A problem found in a topology file, at a position in it.
public struct TopologyIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// All problems found in a topology file; a topology is only built when there are none.
public struct TopologyErrors: Error, Sendable, CustomStringConvertible {
    public var issues: [TopologyIssue]

    public init(issues: [TopologyIssue]) {
        self.issues = issues
    }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
