import Pipeline
import Scoring

/// The `scoring:` section as a per-record stage: scores the record with the on-device model and
/// appends `"scoring": {"score", "label", "positive", "attributions", "model"}` to it, so the
/// score, its explanation and the model's identity travel with the record.
public struct ScoringStage: RecordStage {
    public let name = "scoring"
    var scorer: Scorer
    let explain: Int
    let threshold: Double

    public init(model: ScoringModel, explain: Int) {
        self.scorer = Scorer(model: model)
        self.explain = explain
        self.threshold = model.card.decisionThreshold
    }

    public mutating func process(_ record: inout JSONValue, context: RecordContext) throws(Rejection) {
        let result: ScoreResult
        do {
            result = try scorer.score(JSONFeatureRecord(value: record), explain: explain)
        } catch {
            throw Rejection(.scoringFailed, "\(error.code): \(error.message)")
        }
        guard case .object(var members) = record else { return }
        let output: JSONValue = .object([
            ("score", JSONValue.double(result.score)),
            ("label", .string(result.label)),
            ("positive", .bool(result.score >= threshold)),
            (
                "attributions",
                .array(
                    result.attributions.map {
                        .object([("feature", .string($0.feature)), ("contribution", JSONValue.double($0.contribution))])
                    })
            ),
            (
                "model",
                .object([
                    ("name", .string(result.model.name)), ("version", .string(result.model.version)),
                    ("sha256", .string(result.model.sha256)),
                ])
            ),
        ])
        members.removeAll { $0.key == "scoring" }
        members.append(("scoring", output))
        record = .object(members)
    }
}

/// A JSON record as the scorer reads it: top-level fields; arrays and objects as their JSON text.
public struct JSONFeatureRecord: FeatureRecord {
    public let value: JSONValue

    public init(value: JSONValue) {
        self.value = value
    }

    public func fieldValue(_ field: String) -> FieldValue? {
        switch value[field] {
        case .string(let text)?: return .string(text)
        case .number(let text)?: return Double(text).map(FieldValue.number)
        case .bool(let flag)?: return .bool(flag)
        case .array?, .object?: return .string(String(decoding: JSONWriter.encode(value[field]!), as: UTF8.self))
        case .null?, nil: return nil
        }
    }

    /// A string member's bytes in place; every other value as `fieldValue` gives it.
    public func withUTF8(ofField field: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> StringFieldRead {
        if case .string(let text)? = value[field] {
            FieldValue.withUTF8(of: text, body)
            return .read
        }
        return FieldValue.withUTF8(of: fieldValue(field), body)
    }
}
