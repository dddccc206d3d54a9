import Redaction

/// The `redaction:` section as a per-record stage: field rules by JSON path, then free-text
/// scanning, through the Redaction engine.
public struct RedactionStage: RecordStage {
    public let name = "redaction"
    let redactor: Redactor

    public init(redactor: Redactor) {
        self.redactor = redactor
    }

    public func process(_ record: inout JSONValue, context: RecordContext) throws(Rejection) {
        do {
            record = try redactor.redact(record: record)
        } catch {
            // The engine's messages name the path, never the value.
            throw Rejection(.redactionFailed, error.description)
        }
    }
}
