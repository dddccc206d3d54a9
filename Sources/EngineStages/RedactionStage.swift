import Pipeline
import Redaction

/// The `redaction:` section as a per-record stage: field rules by JSON path, then free-text
/// scanning, through the Redaction engine.
public struct RedactionStage: TallyingStage {
    public let name = "redaction"
    let redactor: Redactor
    /// Scan buffers reused from record to record. A copy of the stage (one per worker, or the
    /// runtime's snapshot before a batch) takes its own the first time it runs.
    var scratch = Redactor.Scratch()
    /// Spans the scanner redacted, by the scanner's kind index (named by `tallies`).
    var redactions: [Int] = []

    /// Spans redacted by free-text scanning so far, by entity type.
    public var tallies: [String: Int] { redactor.entityCounts(redactions) }

    public init(redactor: Redactor) {
        self.redactor = redactor
    }

    public mutating func process(_ record: inout JSONValue, context: RecordContext) throws(Rejection) {
        do {
            // In place: fields the policy leaves alone are not copied.
            let workspace = scratch.workspace()
            try redactor.redact(record: &record, workspace: workspace)
            redactor.moveRedactionCounts(from: workspace, into: &redactions)
        } catch {
            // The engine's messages name the path, never the value.
            throw Rejection(.redactionFailed, error.description)
        }
    }
}
