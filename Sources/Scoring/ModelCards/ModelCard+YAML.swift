import Yams

extension ModelCard {
    /// Decodes a card from YAML text. Errors carry `line:column` for syntax and the key path for a
    /// missing or mistyped field.
    public static func parse(yaml: String) throws(ScoringError) -> ModelCard {
        do {
            return try YAMLDecoder().decode(ModelCard.self, from: yaml)
        } catch let DecodingError.dataCorrupted(context) where context.underlyingError is YamlError {
            throw ScoringError(.invalidCard, "model card YAML: \(describe(context.underlyingError as! YamlError))")
        } catch let error as DecodingError {
            throw ScoringError(.invalidCard, "model card: \(describe(error))")
        } catch let error as YamlError {
            throw ScoringError(.invalidCard, "model card YAML: \(describe(error))")
        } catch {
            throw ScoringError(.invalidCard, "model card: \(error)")
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "\(mark.line):\(mark.column): \(problem)"
        default:
            return "\(error)"
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "'\(path(context.codingPath))' must be \(type)"
        case .dataCorrupted(let context):
            return "'\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
