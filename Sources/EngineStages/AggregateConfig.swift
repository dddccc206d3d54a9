import Fairness
import Foundation
import Pipeline

/// One entry of a topology's `aggregates:` list: a private group-by aggregate over tumbling
/// event-time windows.
///
/// ```yaml
/// aggregates:
///   - name: negative_posts_per_source
///     group_by: [source]                 # one or more record paths
///     count: true                        # or sum: {field, clamp: [lo, hi]} or mean: {field, clamp: [lo, hi]}
///     filter: scoring.label == "negative"   # optional: PATH (==|!=|<|<=|>|>=) LITERAL
///     window: {type: tumbling, size: 10m}   # tumbling, as long as privacy.release_interval (the default)
///     watermark: {max_out_of_orderness: 30s}
///     rho: 0.05                          # ρ-zCDP per series per epoch (the aggregate's budget share)
///     public_groups: [forum, newswire]   # groups released without selection (a list per group with several paths)
/// ```
public struct AggregateSpec: Sendable, Equatable, Decodable {
    /// What is released per group and window.
    public enum Statistic: Sendable, Equatable {
        case count
        /// The sum of the field's values clamped to `[low, high]`.
        case sum(field: String, low: Double, high: Double)
        /// The clamped sum divided by the count, both private.
        case mean(field: String, low: Double, high: Double)

        public var name: String {
            switch self {
            case .count: "count"
            case .sum: "sum"
            case .mean: "mean"
            }
        }

        /// The clamped field, for sums and means.
        var field: (path: String, low: Double, high: Double)? {
            switch self {
            case .count: nil
            case .sum(let field, let low, let high), .mean(let field, let low, let high): (field, low, high)
            }
        }
    }

    public var name: String
    public var groupBy: [String]
    public var statistic: Statistic
    public var filter: RecordFilter?
    public var window: WindowSpec?
    public var watermark: WatermarkSpec
    public var rho: Double
    /// Group keys (one value per `group_by` path, as text) released in every window without selection.
    public var publicGroups: [[String]]

    enum CodingKeys: String, CodingKey {
        case name, count, sum, mean, filter, window, watermark, rho
        case groupBy = "group_by"
        case publicGroups = "public_groups"
    }

    struct ClampedField: Decodable {
        var field: String
        var clamp: [Double]
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: c,
                debugDescription: "an aggregate's name is letters, digits, '_' and '-' (got '\(name)')")
        }
        if let single = try? c.decode(String.self, forKey: .groupBy) {
            groupBy = [single]
        } else {
            groupBy = try c.decode([String].self, forKey: .groupBy)
        }
        guard !groupBy.isEmpty, groupBy.allSatisfy({ !$0.isEmpty }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .groupBy, in: c, debugDescription: "group_by names at least one record path")
        }
        var statistics: [Statistic] = []
        if c.contains(.count) {
            guard (try? c.decode(Bool.self, forKey: .count)) == true else {
                throw DecodingError.dataCorruptedError(
                    forKey: .count, in: c, debugDescription: "write count: true for a private count")
            }
            statistics.append(.count)
        }
        for key in [CodingKeys.sum, .mean] where c.contains(key) {
            let spec = try c.decode(ClampedField.self, forKey: key)
            guard spec.clamp.count == 2, spec.clamp[0].isFinite, spec.clamp[1].isFinite, spec.clamp[0] < spec.clamp[1]
            else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c,
                    debugDescription: "\(key.stringValue).clamp is [low, high] with low < high, e.g. [0, 100]: "
                        + "each record's value is clamped into it, which bounds what one person adds")
            }
            statistics.append(
                key == .sum
                    ? .sum(field: spec.field, low: spec.clamp[0], high: spec.clamp[1])
                    : .mean(field: spec.field, low: spec.clamp[0], high: spec.clamp[1]))
        }
        guard statistics.count == 1 else {
            throw DecodingError.dataCorruptedError(
                forKey: .name, in: c,
                debugDescription: "aggregate '\(name)' needs exactly one of count: true, sum: {field, clamp} or "
                    + "mean: {field, clamp}")
        }
        statistic = statistics[0]
        if let text = try c.decodeIfPresent(String.self, forKey: .filter) {
            do { filter = try RecordFilter(text) } catch {
                throw DecodingError.dataCorruptedError(forKey: .filter, in: c, debugDescription: "\(error)")
            }
        }
        window = try c.decodeIfPresent(WindowSpec.self, forKey: .window)
        watermark = try c.decodeIfPresent(WatermarkSpec.self, forKey: .watermark) ?? WatermarkSpec()
        rho = try c.decode(Double.self, forKey: .rho)
        guard rho > 0, rho.isFinite else {
            throw DecodingError.dataCorruptedError(
                forKey: .rho, in: c, debugDescription: "rho must be a positive number such as 0.05 (got \(rho))")
        }
        var groups: [[String]] = []
        if c.contains(.publicGroups) {
            var list = try c.nestedUnkeyedContainer(forKey: .publicGroups)
            while !list.isAtEnd {
                if let values = try? list.decode([Scalar].self) {
                    groups.append(values.map(\.text))
                } else {
                    groups.append([try list.decode(Scalar.self).text])
                }
            }
        }
        for group in groups where group.count != groupBy.count {
            throw DecodingError.dataCorruptedError(
                forKey: .publicGroups, in: c,
                debugDescription:
                    "public group \(group) has \(group.count) values but group_by has \(groupBy.count) paths")
        }
        publicGroups = groups
    }

    /// A YAML scalar read as the text a record's value is compared by.
    struct Scalar: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let flag = try? c.decode(Bool.self) {
                text = flag ? "true" : "false"
            } else if let integer = try? c.decode(Int64.self) {
                text = String(integer)
            } else {
                text = try c.decode(String.self)
            }
        }
    }
}

/// A predicate on one record field: `PATH OP LITERAL` with OP one of `==`, `!=`, `<`, `<=`, `>`,
/// `>=` and LITERAL a quoted string, a number, `true`, `false` or `null`. A record without the
/// field matches only `!=` (and `== null`).
public struct RecordFilter: Sendable, Equatable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
        case lessOrEqual = "<="
        case greaterOrEqual = ">="
        case less = "<"
        case greater = ">"
    }

    public enum Literal: Sendable, Equatable {
        case text(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    public let path: String
    public let op: Operator
    public let literal: Literal
    let field: FieldPath

    public struct SyntaxError: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws {
        // The earliest operator in the text; at one position the two-character one (`<=` before `<`).
        var found: (range: Range<String.Index>, op: Operator)?
        for candidate in Operator.allCases {
            guard let range = text.range(of: candidate.rawValue) else { continue }
            if let current = found, current.range.lowerBound <= range.lowerBound { continue }
            found = (range, candidate)
        }
        guard let (range, op) = found else {
            throw SyntaxError(description: "filter '\(text)' is not PATH OP VALUE, e.g. scoring.label == \"negative\"")
        }
        let path = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        let value = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
        guard !path.isEmpty, !path.contains(where: { $0 == " " || $0 == "\"" }) else {
            throw SyntaxError(description: "filter '\(text)' has no field path before \(op.rawValue)")
        }
        let literal: Literal
        if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
            literal = .text(String(value.dropFirst().dropLast()))
        } else if value == "true" || value == "false" {
            literal = .bool(value == "true")
        } else if value == "null" {
            literal = .null
        } else if let number = Double(value), number.isFinite {
            literal = .number(number)
        } else {
            throw SyntaxError(
                description: "filter '\(text)': '\(value)' is not a quoted string, a number, true, false or null")
        }
        switch (op, literal) {
        case (.equal, _), (.notEqual, _), (_, .number): break
        default:
            throw SyntaxError(description: "filter '\(text)': \(op.rawValue) compares numbers only")
        }
        self.path = path
        self.op = op
        self.literal = literal
        field = FieldPath(path)
    }

    public var description: String {
        let value =
            switch literal {
            case .text(let text): "\"\(text)\""
            case .number(let number):
                number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
            case .bool(let flag): flag ? "true" : "false"
            case .null: "null"
            }
        return "\(path) \(op.rawValue) \(value)"
    }

    /// Whether `record` satisfies the predicate.
    public func matches(_ record: JSONValue) -> Bool {
        let value = field.value(in: record)
        let equal: Bool
        switch (literal, value) {
        case (.null, nil), (.null, .null?): equal = true
        case (.null, _), (_, nil), (_, .null?): equal = false
        case (.text(let expected), .string(let actual)?): equal = expected == actual
        case (.bool(let expected), .bool(let actual)?): equal = expected == actual
        case (.number(let expected), let actual?):
            guard let number = actual.doubleValue else { return op == .notEqual }
            switch op {
            case .equal: return number == expected
            case .notEqual: return number != expected
            case .less: return number < expected
            case .lessOrEqual: return number <= expected
            case .greater: return number > expected
            case .greaterOrEqual: return number >= expected
            }
        default: equal = false
        }
        return op == .equal ? equal : !equal
    }
}
