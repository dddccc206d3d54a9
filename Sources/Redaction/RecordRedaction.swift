/// Structured records: field rules by JSON path, then free-text scanning of the `scan` fields (every
/// string when the policy names none). A field that a rule handled is not scanned again.
extension Redactor {
    /// De-identifies one record. Throws only for records the policy cannot handle; the message names
    /// the path, never the value.
    public func redact(record: RedactionJSON) throws(RedactionError) -> RedactionJSON {
        var location: [LocationStep] = []
        return try visit(record, &location) ?? .null
    }

    /// The same on one field given as a path and a string value, for callers that keep their own JSON
    /// type: returns the new value, or nil when the field must be dropped. `isNumber` says whether the
    /// value is a JSON number lexeme.
    public func redact(fieldAt path: [String], value: String, isNumber: Bool = false) -> (value: String, isNumber: Bool)? {
        let loc = path.map { Int($0).map(LocationStep.index) ?? .key($0) }
        if let rule = policy.fields.last(where: { $0.path.matches(loc) }) {
            return applyRule(rule, value: value, isNumber: isNumber, location: loc)
        }
        if isNumber { return (value, true) }
        if scans(loc) { return (redact(text: value), false) }
        return (value, false)
    }

    func scans(_ loc: [LocationStep]) -> Bool {
        guard let scan = policy.scan else { return true }
        return scan.contains { $0.matches(loc) }
    }

    private func visit(_ v: RedactionJSON, _ loc: inout [LocationStep]) throws(RedactionError) -> RedactionJSON? {
        if !loc.isEmpty, let rule = policy.fields.last(where: { $0.path.matches(loc) }) {
            switch v {
            case .string(let s):
                guard let r = applyRule(rule, value: s, isNumber: false, location: loc) else { return nil }
                return r.isNumber ? .number(r.value) : .string(r.value)
            case .number(let s):
                guard let r = applyRule(rule, value: s, isNumber: true, location: loc) else { return nil }
                return r.isNumber ? .number(r.value) : .string(r.value)
            case .bool, .null:
                if case .drop = rule.operator { return nil }
                if case .keep = rule.operator { return v }
                return .string(Operators.apply(rule.operator, type: rule.entity, value: "", keys: keys))
            case .array, .object:
                if case .drop = rule.operator { return nil }
                if case .keep = rule.operator { return v }
                // A rule on a container applies to every leaf below it.
                return try visitChildren(v, &loc, forced: rule)
            }
        }
        switch v {
        case .string(let s):
            return scans(loc) ? .string(redact(text: s)) : v
        case .array, .object:
            return try visitChildren(v, &loc, forced: nil)
        default:
            return v
        }
    }

    private func visitChildren(_ v: RedactionJSON, _ loc: inout [LocationStep], forced: FieldRule?) throws(RedactionError) -> RedactionJSON {
        switch v {
        case .array(let items):
            var out: [RedactionJSON] = []
            out.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                loc.append(.index(i))
                defer { loc.removeLast() }
                if let forced, let r = try leaf(item, forced, &loc) { out.append(r); continue }
                if forced != nil { continue }
                if let r = try visit(item, &loc) { out.append(r) }
            }
            return .array(out)
        case .object(let members):
            var out: [(key: String, value: RedactionJSON)] = []
            out.reserveCapacity(members.count)
            for m in members {
                loc.append(.key(m.key))
                defer { loc.removeLast() }
                if let forced {
                    if let r = try leaf(m.value, forced, &loc) { out.append((m.key, r)) }
                    continue
                }
                if let r = try visit(m.value, &loc) { out.append((m.key, r)) }
            }
            return .object(out)
        default:
            return v
        }
    }

    private func leaf(_ v: RedactionJSON, _ rule: FieldRule, _ loc: inout [LocationStep]) throws(RedactionError) -> RedactionJSON? {
        switch v {
        case .string(let s):
            guard let r = applyRule(rule, value: s, isNumber: false, location: loc) else { return nil }
            return r.isNumber ? .number(r.value) : .string(r.value)
        case .number(let s):
            guard let r = applyRule(rule, value: s, isNumber: true, location: loc) else { return nil }
            return r.isNumber ? .number(r.value) : .string(r.value)
        case .array, .object:
            return try visitChildren(v, &loc, forced: rule)
        default:
            return v
        }
    }

    func applyRule(_ rule: FieldRule, value: String, isNumber: Bool, location: [LocationStep]) -> (value: String, isNumber: Bool)? {
        switch rule.operator {
        case .drop: return nil
        case .keep: return (value, isNumber)
        case .noise(let scale, let dist, let decimals):
            let salt = location.map { step -> String in
                switch step {
                case .key(let k): return k
                case .index(let i): return String(i)
                }
            }.joined(separator: "/")
            if let v = Operators.noise(value, scale: scale, distribution: dist, decimals: decimals, salt: salt, keys: keys) {
                return (v, true)
            }
            return ("<\(rule.entity.rawValue)>", false)
        case .generalize(let g):
            let out = Operators.generalize(value, g, type: rule.entity)
            if isNumber, case .bucket = g { return (out, false) }
            if isNumber, case .year = g, Int(out) != nil { return (out, true) }
            return (out, false)
        default:
            return (Operators.apply(rule.operator, type: rule.entity, value: value, keys: keys), false)
        }
    }
}
