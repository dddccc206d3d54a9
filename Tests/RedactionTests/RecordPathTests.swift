import Testing

@testable import Redaction

/// The record path edits records in place with a workspace. These tests hold it to a plain functional
/// walk (the previous implementation, kept here as the reference) on random nested records under
/// random field rules, and check the copy-on-use `Redactor.Scratch`.
@Suite struct RecordPathTests {
    /// Rebuilds every container, as `redact(record:)` did before it worked in place.
    struct ReferenceWalk {
        let r: Redactor

        func redact(_ record: RedactionJSON) -> RedactionJSON {
            var loc: [LocationStep] = []
            return visit(record, &loc) ?? .null
        }

        func ruled(_ rule: FieldRule, _ s: String, _ isNumber: Bool, _ loc: [LocationStep]) -> RedactionJSON? {
            guard let out = r.applyRule(rule, value: s, isNumber: isNumber, location: loc) else { return nil }
            return out.isNumber ? .number(out.value) : .string(out.value)
        }

        func visit(_ v: RedactionJSON, _ loc: inout [LocationStep]) -> RedactionJSON? {
            if !loc.isEmpty, let rule = r.policy.fields.last(where: { $0.path.matches(loc) }) {
                switch v {
                case .string(let s): return ruled(rule, s, false, loc)
                case .number(let s): return ruled(rule, s, true, loc)
                case .bool, .null:
                    if case .drop = rule.operator { return nil }
                    if case .keep = rule.operator { return v }
                    return .string(r.apply(rule.operator, type: rule.entity, to: ""))
                case .array, .object:
                    if case .drop = rule.operator { return nil }
                    if case .keep = rule.operator { return v }
                    return children(v, &loc, rule)
                }
            }
            switch v {
            case .string(let s): return r.scans(loc) ? .string(r.redact(text: s)) : v
            case .array, .object: return children(v, &loc, nil)
            default: return v
            }
        }

        func children(_ v: RedactionJSON, _ loc: inout [LocationStep], _ forced: FieldRule?) -> RedactionJSON {
            func one(_ item: RedactionJSON, _ loc: inout [LocationStep]) -> RedactionJSON? {
                guard let forced else { return visit(item, &loc) }
                switch item {
                case .string(let s): return ruled(forced, s, false, loc)
                case .number(let s): return ruled(forced, s, true, loc)
                case .array, .object: return children(item, &loc, forced)
                default: return item
                }
            }
            switch v {
            case .array(let items):
                var out: [RedactionJSON] = []
                for (i, item) in items.enumerated() {
                    loc.append(.index(i))
                    if let x = one(item, &loc) { out.append(x) }
                    loc.removeLast()
                }
                return .array(out)
            case .object(let members):
                var out: [(key: String, value: RedactionJSON)] = []
                for m in members {
                    loc.append(.key(m.key))
                    if let x = one(m.value, &loc) { out.append((m.key, x)) }
                    loc.removeLast()
                }
                return .object(out)
            default:
                return v
            }
        }
    }

    static let keys = ["a", "b", "email", "tags", "note", "n"]

    static func value(_ g: inout Gen, depth: Int) -> RedactionJSON {
        switch g.int(depth > 2 ? 4 : 7) {
        case 0: return .null
        case 1: return .bool(g.int(2) == 0)
        case 2: return .number(String(g.int(100_000)))
        case 3: return .string(g.text())
        case 4, 5:
            return .object((0..<g.int(5)).map { _ in (keys[g.int(keys.count)], value(&g, depth: depth + 1)) })
        default:
            return .array((0..<g.int(5)).map { _ in value(&g, depth: depth + 1) })
        }
    }

    static let policies = [
        "{}",
        "scan: [$.note, '$..tags[*]', '$.a[*]']",
        """
        fields:
          - {path: $.email, operator: pseudonym, entity: EMAIL_ADDRESS}
          - {path: $..n, operator: drop}
          - {path: '$.a[1]', operator: drop}
          - {path: $.b, operator: {type: mask, keep_last: 2}}
          - {path: $..tags, operator: encrypt}
          - {path: '$.a[*].b', operator: keep}
          - {path: $.note, operator: {type: generalize, to: bucket, width: 100}}
        scan: ['$.a[*]', $..note]
        operators: {default: {type: mask, keep_last: 3}}
        """,
        """
        fields:
          - {path: $.*, operator: replace}
          - {path: $.a, operator: {type: noise, scale: 3}}
          - {path: $.b, operator: drop}
        """,
        // Scan paths only, of keys, indices and `*`: the walk along the paths (`scanAlong`).
        "scan: [$.note, '$.a[*]', $.b.email, '$.tags[1]', $.*.note, '$[0]', $]",
        "{scan: [$.note], operators: {default: {type: mask, keep_last: 2}}}",
    ]

    @Test(arguments: 0..<6)
    func inPlaceWalkAgreesWithReference(policy: Int) throws {
        let r = try Redactor(policy: RedactionPolicy(yaml: Self.policies[policy]), keys: testKeys)
        #expect((r.scanPaths != nil) == (policy >= 4), "the scan-path walk is used exactly for scan-only policies")
        #expect(r.scansEverything == (policy == 0), "the walk without locations is used exactly for the default policy")
        var changed = 0
        let reference = ReferenceWalk(r: r)
        let workspace = Redactor.Workspace()
        var g = Gen(s: 4242 &+ UInt64(policy))
        var dropped = 0
        for round in 0..<600 {
            let record = Self.value(&g, depth: round % 3 == 0 ? 1 : 0)
            let expected = reference.redact(record)
            #expect(try r.redact(record: record) == expected, "redact(record:) differs on record \(round)")
            var edited = record
            try r.redact(record: &edited, workspace: workspace)
            #expect(edited == expected, "the in-place walk differs on record \(round)")
            if Self.leaves(expected) < Self.leaves(record) { dropped += 1 }
            if expected != record { changed += 1 }
        }
        if policy == 2 || policy == 3 { #expect(dropped > 0, "no record lost a field, so drops were not exercised") }
        #expect(changed > 5, "few records changed, so scanning was not exercised")
    }

    static func leaves(_ v: RedactionJSON) -> Int {
        switch v {
        case .array(let items): return items.reduce(0) { $0 + leaves($1) }
        case .object(let members): return members.reduce(0) { $0 + leaves($1.value) }
        default: return 1
        }
    }

    /// A copy of a scratch value (a stage copied to another worker, or a snapshot) gets its own
    /// workspace the first time it asks; the original keeps its own from then on.
    @Test func scratchCopiesDoNotShareAWorkspace() {
        // Identities, not references: holding the workspace would itself make it shared.
        var a = Redactor.Scratch()
        let first = ObjectIdentifier(a.workspace())
        #expect(ObjectIdentifier(a.workspace()) == first, "an unshared scratch value keeps its workspace")
        var b = a
        let fromCopy = ObjectIdentifier(b.workspace())
        #expect(fromCopy != first)
        #expect(ObjectIdentifier(a.workspace()) == first)
        #expect(ObjectIdentifier(b.workspace()) == fromCopy)
    }
}
