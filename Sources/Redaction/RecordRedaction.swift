/// Structured records: field rules by JSON path, then free-text scanning of the `scan` fields (every
/// string when the policy names none). A field that a rule handled is not scanned again.
extension Redactor {
    /// De-identifies one record. Throws only for records the policy cannot handle; the message names
    /// the path, never the value.
    public func redact(record: RedactionJSON) throws(RedactionError) -> RedactionJSON {
        var out = record
        if walkWithoutLocation(&out, nil) { return out }
        var location: [LocationStep] = []
        // The root has no path, so no rule applies to it and it is never dropped.
        _ = try visit(&out, &location, nil)
        return out
    }

    /// `redact(record:)` in place, with the workspace's buffers: members and items that no rule or
    /// scan changes stay as they are (no container is rebuilt), and the path being visited is kept in
    /// the workspace between records.
    public func redact(record: inout RedactionJSON, workspace: Workspace) throws(RedactionError) {
        if walkWithoutLocation(&record, workspace) { return }
        var location = workspace.takeLocation()
        defer {
            if !location.isEmpty { location.removeAll(keepingCapacity: true) }
            workspace.keepLocation(location)
        }
        _ = try visit(&record, &location, workspace)
    }

    /// The same on one field given as a path and a string value, for callers that keep their own JSON
    /// type: returns the new value, or nil when the field must be dropped. `isNumber` says whether the
    /// value is a JSON number lexeme.
    public func redact(fieldAt path: [String], value: String, isNumber: Bool = false, workspace: Workspace? = nil)
        -> (value: String, isNumber: Bool)?
    {
        let loc = path.map { Int($0).map(LocationStep.index) ?? .key($0) }
        if let rule = policy.fields.last(where: { $0.path.matches(loc) }) {
            return applyRule(rule, value: value, isNumber: isNumber, location: loc)
        }
        if isNumber { return (value, true) }
        if scans(loc) { return (redacted(value, workspace: workspace) ?? value, false) }
        return (value, false)
    }

    /// Walks the record with `scanEvery` or `scanAlong` when the policy allows one of them; false when
    /// it needs the general walk (`visit`).
    private func walkWithoutLocation(_ v: inout RedactionJSON, _ workspace: Workspace?) -> Bool {
        if scansEverything {
            scanEvery(&v, workspace)
            return true
        }
        guard let scanPaths else { return false }
        let all: UInt64 = scanPaths.count == 64 ? ~0 : (1 << UInt64(scanPaths.count)) - 1
        scanAlong(&v, scanPaths, depth: 0, alive: all, workspace)
        return true
    }

    /// The walk for policies that only scan, along paths of keys, indices and `*` (`scanPaths`):
    /// `alive` has bit k set when path k matches the location of `v` up to `depth`. A string is
    /// scanned when a live path ends at it; only the members and items that a live path continues
    /// into are visited. Finds exactly what `visit` finds for such a policy (property-tested): with
    /// no rules only strings change, and only those at a location some scan path matches.
    func scanAlong(_ v: inout RedactionJSON, _ paths: [[JSONPath.Segment]], depth: Int, alive: UInt64,
                   _ workspace: Workspace?) {
        if case .string(let s) = v {
            var ends = false
            var m = alive
            while m != 0 {
                if paths[m.trailingZeroBitCount].count == depth { ends = true }
                m &= m &- 1
            }
            if ends, let r = redacted(s, workspace: workspace) { v = .string(r) }
            return
        }
        // The paths that continue below this depth; none: nothing below is scanned.
        var deeper: UInt64 = 0
        var m = alive
        while m != 0 {
            let k = m.trailingZeroBitCount
            if paths[k].count > depth { deeper |= 1 << UInt64(k) }
            m &= m &- 1
        }
        if deeper == 0 { return }
        // `if case` and `v = .null` leave the container referenced only here (see `visitChildren`).
        if case .object(var members) = v {
            v = .null
            for i in members.indices {
                let next = continuing(deeper, paths, depth, key: members[i].key, index: i)
                if next != 0 { scanAlong(&members[i].value, paths, depth: depth + 1, alive: next, workspace) }
            }
            v = .object(members)
        } else if case .array(var items) = v {
            v = .null
            for i in items.indices {
                let next = continuing(deeper, paths, depth, key: nil, index: i)
                if next != 0 { scanAlong(&items[i], paths, depth: depth + 1, alive: next, workspace) }
            }
            v = .array(items)
        }
    }

    /// The walk for policies with neither field rules nor scan paths (`scansEverything`): every string is
    /// scanned, every container visited, nothing else changes — what `visit` does for such a policy,
    /// without the location it builds for rules and paths (property-tested against the reference walk).
    func scanEvery(_ v: inout RedactionJSON, _ workspace: Workspace?) {
        if case .string(let s) = v {
            if let r = redacted(s, workspace: workspace) { v = .string(r) }
        } else if case .object(var members) = v {
            // `if case` and `v = .null` leave the container referenced only here (see `visitChildren`).
            v = .null
            for i in members.indices { scanEvery(&members[i].value, workspace) }
            v = .object(members)
        } else if case .array(var items) = v {
            v = .null
            for i in items.indices { scanEvery(&items[i], workspace) }
            v = .array(items)
        }
    }

    /// Which of the `deeper` paths continue into the member named `key` (nil: the item at `index`).
    @inline(__always)
    private func continuing(_ deeper: UInt64, _ paths: [[JSONPath.Segment]], _ depth: Int, key: String?, index: Int)
        -> UInt64
    {
        var next: UInt64 = 0
        var m = deeper
        while m != 0 {
            let k = m.trailingZeroBitCount
            switch paths[k][depth] {
            case .key(let name): if let key, name == key { next |= 1 << UInt64(k) }
            case .index(let n): if key == nil, n == index { next |= 1 << UInt64(k) }
            case .wildcard: next |= 1 << UInt64(k)
            case .descendant: break
            }
            m &= m &- 1
        }
        return next
    }

    func scans(_ loc: [LocationStep]) -> Bool {
        guard let scan = policy.scan else { return true }
        return scan.contains { $0.matches(loc) }
    }

    /// Applies the rule for `loc`, if any, or scans the string; returns false when the value must be
    /// dropped.
    private func visit(_ v: inout RedactionJSON, _ loc: inout [LocationStep], _ workspace: Workspace?)
        throws(RedactionError) -> Bool
    {
        // Containers are visited after the `switch`, which holds a copy of `v` while it runs: inside it
        // the container would be shared and every edit would copy it.
        var container = false
        if hasFieldRules, !loc.isEmpty, let rule = policy.fields.last(where: { $0.path.matches(loc) }) {
            switch v {
            case .string, .number:
                return applyLeaf(rule, &v, loc)
            case .bool, .null:
                if case .drop = rule.operator { return false }
                if case .keep = rule.operator { return true }
                v = .string(Operators.apply(rule.operator, type: rule.entity, value: "", keys: keys))
                return true
            case .array, .object:
                if case .drop = rule.operator { return false }
                if case .keep = rule.operator { return true }
                container = true
            }
            // A rule on a container applies to every leaf below it.
            if container { try visitChildren(&v, &loc, forced: rule, workspace) }
            return true
        }
        switch v {
        case .string:
            // The string is read only when its field is scanned.
            if scans(loc), case .string(let s) = v, let r = redacted(s, workspace: workspace) { v = .string(r) }
        case .array, .object:
            container = true
        default:
            break
        }
        if container { try visitChildren(&v, &loc, forced: nil, workspace) }
        return true
    }

    /// Visits every item or member (under a container rule, applies it to every leaf), dropping those
    /// the rules drop; the others keep their order and their original index in the path.
    private func visitChildren(_ v: inout RedactionJSON, _ loc: inout [LocationStep], forced: FieldRule?,
                               _ workspace: Workspace?) throws(RedactionError) {
        // `if case` and `v = .null` leave the container referenced only here, so it changes in place
        // (a `switch` on `v` would keep its own copy alive and every edit would copy the container).
        if case .array(var items) = v {
            v = .null
            try keepVisited(&items) { item, i throws(RedactionError) in
                try child(&item, .index(i), &loc, forced, workspace)
            }
            v = .array(items)
        } else if case .object(var members) = v {
            v = .null
            try keepVisited(&members) { member, _ throws(RedactionError) in
                try child(&member.value, .key(member.key), &loc, forced, workspace)
            }
            v = .object(members)
        }
    }

    /// One item or member at `step` below `loc`: under a container rule (`forced`) a leaf, else visited.
    private func child(_ v: inout RedactionJSON, _ step: LocationStep, _ loc: inout [LocationStep], _ forced: FieldRule?,
                       _ workspace: Workspace?) throws(RedactionError) -> Bool {
        loc.append(step)
        defer { loc.removeLast() }
        if let forced { return try leaf(&v, forced, &loc, workspace) }
        return try visit(&v, &loc, workspace)
    }

    /// Runs `visitOne` on every element (with its original index) and removes those it returns false
    /// for; the others keep their order.
    private func keepVisited<Element>(_ elements: inout [Element],
                                      _ visitOne: (inout Element, Int) throws(RedactionError) -> Bool) throws(RedactionError) {
        var kept = 0
        for i in elements.indices where try visitOne(&elements[i], i) {
            if kept != i { elements.swapAt(kept, i) }
            kept += 1
        }
        if kept < elements.count { elements.removeLast(elements.count - kept) }
    }

    /// A leaf under a container rule: strings and numbers take the rule, booleans and nulls stay.
    private func leaf(_ v: inout RedactionJSON, _ rule: FieldRule, _ loc: inout [LocationStep], _ workspace: Workspace?)
        throws(RedactionError) -> Bool
    {
        switch v {
        case .string, .number:
            return applyLeaf(rule, &v, loc)
        case .array, .object:
            break
        default:
            return true
        }
        try visitChildren(&v, &loc, forced: rule, workspace)
        return true
    }

    /// The rule on a string or number leaf; false when it drops the value.
    private func applyLeaf(_ rule: FieldRule, _ v: inout RedactionJSON, _ loc: [LocationStep]) -> Bool {
        let r: (value: String, isNumber: Bool)?
        switch v {
        case .string(let s): r = applyRule(rule, value: s, isNumber: false, location: loc)
        case .number(let s): r = applyRule(rule, value: s, isNumber: true, location: loc)
        default: return true
        }
        guard let r else { return false }
        v = r.isNumber ? .number(r.value) : .string(r.value)
        return true
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
