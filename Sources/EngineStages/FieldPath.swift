import JSON

/// A record field named by its key or by a dotted path into nested objects (`scoring.positive`),
/// split once when a stage is built so that reading it per record allocates nothing.
///
/// A key that itself contains dots wins over the path: `{"a.b": 1}` reads 1 for `a.b`.
public struct FieldPath: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    let parts: [String]

    public init(_ path: String) {
        description = path
        parts = path.split(separator: ".").map(String.init)
    }

    /// The field's value in `record`, or nil when a step is missing or not an object.
    public func value(in record: JSONValue) -> JSONValue? {
        if let direct = record[description] { return direct }
        var current = record
        for part in parts {
            guard let next = current[part] else { return nil }
            current = next
        }
        return current
    }
}
