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
            record = JSONValue(try redactor.redact(record: RedactionJSON(record)))
        } catch {
            // The engine's messages name the path, never the value.
            throw Rejection(.redactionFailed, error.description)
        }
    }
}

extension RedactionJSON {
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let text): self = .number(text)
        case .string(let text): self = .string(text)
        case .array(let elements): self = .array(elements.map(RedactionJSON.init))
        case .object(let members): self = .object(members.map { ($0.key, RedactionJSON($0.value)) })
        }
    }
}

extension JSONValue {
    init(_ value: RedactionJSON) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let text): self = .number(text)
        case .string(let text): self = .string(text)
        case .array(let elements): self = .array(elements.map(JSONValue.init))
        case .object(let members): self = .object(members.map { ($0.key, JSONValue($0.value)) })
        }
    }
}
