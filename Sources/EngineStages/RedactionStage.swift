import Pipeline
import Redaction

/// The `redaction:` section as a per-record stage: field rules by JSON path, then free-text
/// scanning, through the Redaction engine.
public struct RedactionStage: RecordStage {
    public let name = "redaction"
    let redactor: Redactor
    /// Scan buffers reused from record to record. A copy of the stage (one per worker, or the
    /// runtime's snapshot before a batch) takes its own the first time it runs.
    var scratch = Redactor.Scratch()

    public init(redactor: Redactor) {
        self.redactor = redactor
    }

    public mutating func process(_ record: inout JSONValue, context: RecordContext) throws(Rejection) {
        do {
            // In place: fields the policy leaves alone are not copied.
            try redactor.redact(record: &record, workspace: scratch.workspace())
        } catch {
            // The engine's messages name the path, never the value.
            throw Rejection(.redactionFailed, error.description)
        }
    }
}
