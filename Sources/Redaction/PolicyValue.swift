/// One value of the `redaction:` section as a `Decoder` holds it, with the name messages call it by
/// (`redaction.fields[0].operator`). Values read as the policy has always read them: a scalar has
/// the type YAML gives it (`Scalar`), a number may also be written as text (`"0.5"`), and a key
/// written with `null` is present, so its value is refused where one is needed.
struct PolicyValue {
    let decoder: any Decoder
    let label: String

    /// A scalar as YAML's core schema types a plain one (Yams' default resolver, which the topology
    /// reader uses): `~` and `null` are null, `true`/`yes`/`on` … booleans, `12`, `0x1F`, `1_000`
    /// integers, `0.5`, `1e3`, `.inf` floats; a quoted scalar, or a number too large for `Int`, is
    /// text, and so is a plain date (which YAML would type as a timestamp).
    enum Scalar {
        case null
        case bool(Bool)
        case integer(Int)
        case float(Double)
        case text(String)
    }

    /// The value as a scalar; nil for a mapping or a list.
    var scalar: Scalar? {
        guard let single = try? decoder.singleValueContainer(), let text = try? single.decode(String.self) else {
            return nil
        }
        if single.decodeNil() { return .null }
        if let flag = try? single.decode(Bool.self) { return .bool(flag) }
        // Yams reads a plain scalar as a number only when the pattern says it is one, and as text
        // when the pattern matches but the number does not fit (or the scalar is quoted).
        if text.wholeMatch(of: Self.integerPattern) != nil {
            return (try? single.decode(Int.self)).map(Scalar.integer) ?? .text(text)
        }
        if text.wholeMatch(of: Self.floatPattern) != nil {
            return (try? single.decode(Double.self)).map(Scalar.float) ?? .text(text)
        }
        return .text(text)
    }

    /// The integer and float patterns of Yams' default resolver (YAML 1.1).
    nonisolated(unsafe) private static let integerPattern = #/
        [-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(?:0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
        | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
        /#
    nonisolated(unsafe) private static let floatPattern = #/
        [-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)? | \.[0-9_]+(?:[eE][-+][0-9]+)?
        | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
        /#

    /// The value as text; nil when it is not a string (a mapping, a list, null, a boolean, a number).
    var text: String? {
        guard case .text(let text)? = scalar else { return nil }
        return text
    }

    /// The value as a mapping, keys in the order written; nil when it is not one.
    var mapping: PolicyMapping? {
        guard let container = try? decoder.container(keyedBy: PolicyKey.self) else { return nil }
        return PolicyMapping(container: container, label: label)
    }

    /// The value's items when it is a list.
    var list: [PolicyValue]? {
        guard var items = try? decoder.unkeyedContainer() else { return nil }
        var values: [PolicyValue] = []
        while !items.isAtEnd, let item = try? items.superDecoder() {
            values.append(PolicyValue(decoder: item, label: "\(label)[\(values.count)]"))
        }
        return values
    }

    /// A string or a list of strings.
    func strings() throws -> [String] {
        if let text { return [text] }
        guard let items = list else { throw refusal("`\(label)` must be a list of strings") }
        return try items.map { item in
            guard let text = item.text else { throw item.refusal("`\(label)` must be a list of strings") }
            return text
        }
    }

    /// A number: an integer, a float, or text that reads as one.
    func number() throws -> Double {
        switch scalar {
        case .integer(let integer)?: return Double(integer)
        case .float(let number)?: return number
        case .text(let text)?: if let number = Double(text) { return number }
        default: break
        }
        throw refusal("`\(label)` must be a number")
    }

    /// An integer: an integer, a float with no fraction, or text that reads as an integer.
    func integer() throws -> Int {
        switch scalar {
        case .integer(let integer)?: return integer
        case .float(let number)?: if number == number.rounded(), let integer = Int(exactly: number) { return integer }
        case .text(let text)?: if let integer = Int(text) { return integer }
        default: break
        }
        throw refusal("`\(label)` must be an integer")
    }

    /// `true` or `false` (or another YAML boolean: `yes`, `off` …).
    func flag() throws -> Bool {
        guard case .bool(let flag)? = scalar else { throw refusal("`\(label)` must be true or false") }
        return flag
    }

    /// The same value, named `label` in messages.
    func labelled(_ label: String) -> PolicyValue { PolicyValue(decoder: decoder, label: label) }

    /// The error that refuses the policy because of this value, located at it.
    func refusal(_ message: String) -> DecodingError { refusal(.invalidPolicy(message)) }

    func refusal(_ error: RedactionError) -> DecodingError {
        .dataCorrupted(
            .init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
    }

    /// Runs `body`, reporting what it refuses at this value.
    func reading<T>(_ body: () throws(RedactionError) -> T) throws -> T {
        do { return try body() } catch { throw refusal(error) }
    }
}

/// A mapping of the policy.
struct PolicyMapping {
    let container: KeyedDecodingContainer<PolicyKey>
    let label: String

    /// The value under `key`, also when it is `null`; nil when the key is not written.
    subscript(key: String) -> PolicyValue? {
        let codingKey = PolicyKey(key)
        guard container.contains(codingKey), let decoder = try? container.superDecoder(forKey: codingKey) else {
            return nil
        }
        return PolicyValue(decoder: decoder, label: "\(label).\(key)")
    }

    /// Every key and its value, in the order written.
    var entries: [(key: String, value: PolicyValue)] {
        container.allKeys.compactMap { key in self[key.stringValue].map { (key.stringValue, $0) } }
    }

    /// Refuses a key not in `known`, naming it and the known ones (never a value).
    func refuseUnknownKeys(_ known: Set<String>) throws {
        for (key, value) in entries where !known.contains(key) {
            throw value.refusal("unknown key `\(label).\(key)` (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}

/// A key of a policy mapping: any name, so that an unknown one can be named and refused.
struct PolicyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
