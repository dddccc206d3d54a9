import Testing
import Yams

@testable import Redaction

extension RedactionPolicy {
    /// The policy written in `yaml` (what a `redaction:` section holds), decoded from the node Yams
    /// composes, as the topology reader decodes the section.
    init(yaml: String) throws {
        guard let node = try Yams.compose(yaml: yaml) else {
            self = .default
            return
        }
        self = try YAMLDecoder().decode(RedactionPolicy.self, from: node)
    }
}

/// What refuses the policy written in `yaml`: the message of the `RedactionError` under the decoding
/// error, and the path of the value it is located at (`fields.0.path`); nil when the policy is
/// accepted, or refused with any other error.
func refusal(_ yaml: String) -> (message: String, at: String)? {
    do {
        _ = try RedactionPolicy(yaml: yaml)
    } catch DecodingError.dataCorrupted(let context) {
        guard let error = context.underlyingError as? RedactionError else { return nil }
        let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
        return (error.description, path.joined(separator: "."))
    } catch {
        return nil
    }
    return nil
}

/// `items` as a YAML flow list of single-quoted strings.
func yamlList(_ items: [String]) -> String {
    "[" + items.map { "'" + String($0.flatMap { $0 == "'" ? ["'", "'"] : [$0] }) + "'" }.joined(separator: ", ") + "]"
}

@Suite struct PolicyDecodingTests {
    /// Every key with its spellings and aliases decodes to the policy it always meant.
    @Test func everyKeyAndSpelling() throws {
        let decoded = try RedactionPolicy(yaml: #"""
            entities: [EMAIL_ADDRESS, PERSON, DATE_TIME]
            disabled: PERSON
            min_score: "0.4"
            operators:
              default: redact
              CREDIT_CARD: {type: pseudonym, length: 12}
              PHONE_NUMBER: {type: replace, new_value: "[phone]"}
              AGE: {type: generalize, to: band}
              POSTCODE: {type: generalize, to: prefix, count: 2}
              AMOUNT: {type: noise, scale: 0x2, distribution: laplace, decimals: 1.0}
              IBAN: hash
              NOTE: none
            fields:
              - {path: $.a, entity: A}
              - {path: $.b, operator: {type: generalize, to: bucket, width: 1_000}}
            scan: $.text
            patterns: [{name: P, pattern: 'p\d', word_boundary: off, context: c, context_window: "8"}]
            dictionaries: [{name: D, terms: t, case_insensitive: yes}]
            gazetteer: {builtin: false, first_names: Ann, last_names: [Li], locations: [Oslo]}
            dates: {detect: true, numeric: false, operator: {type: generalize, to: year}}
            urls: {bare_domains: false}
            allow: [x, "123", 12345678901234567890]
            invalid_utf8: reject
            """#)
        var expected = RedactionPolicy()
        expected.entities = Set(["EMAIL_ADDRESS", "DATE_TIME", "P", "D"].map { EntityType($0) })
        expected.minScore = 0.4
        expected.defaultOperator = .redact
        expected.operators = [
            EntityType("CREDIT_CARD"): .pseudonym(length: 12),
            EntityType("PHONE_NUMBER"): .replace(template: "[phone]"),
            EntityType("AGE"): .generalize(.ageBand(width: 10)), EntityType("POSTCODE"): .generalize(.prefix(count: 2)),
            EntityType("AMOUNT"): .noise(scale: 2, distribution: .laplace, decimals: 1),
            EntityType("IBAN"): .pseudonym(length: 16), EntityType("NOTE"): .keep, .dateTime: .generalize(.year),
        ]
        expected.fields = [
            FieldRule(path: try JSONPath(parsing: "$.a"), operator: .replace(template: nil), entity: EntityType("A")),
            FieldRule(path: try JSONPath(parsing: "$.b"), operator: .generalize(.bucket(width: 1000))),
        ]
        expected.scan = [try JSONPath(parsing: "$.text")]
        expected.patterns = [
            PatternSpec(name: "P", pattern: #"p\d"#, wordBoundary: false, context: ["c"], contextWindow: 8)
        ]
        expected.dictionaries = [DictionarySpec(name: "D", terms: ["t"], caseInsensitive: true)]
        expected.useBuiltInGazetteer = false
        expected.extraFirstNames = ["Ann"]
        expected.extraLastNames = ["Li"]
        expected.extraLocations = ["Oslo"]
        expected.detectNumericDates = false
        expected.detectBareDomains = false
        // A quoted number is text, and so is a number too large to be one.
        expected.allow = ["x", "123", "12345678901234567890"]
        expected.invalidUTF8 = .reject
        #expect(decoded == expected)

        let masked = try RedactionPolicy(
            yaml: "{entities: all, dates: false, default_operator: {type: mask, chars_to_keep: 2, masking_char: '#'}}")
        var maskedExpected = RedactionPolicy()
        maskedExpected.entities.remove(.dateTime)
        maskedExpected.detectNumericDates = false
        maskedExpected.detectLongDates = false
        maskedExpected.defaultOperator = .mask(char: "#", keepLast: 2, keepSeparators: false)
        #expect(masked == maskedExpected)
        // A setting that must be text is as if absent when it is not (a number as `char`: the default).
        #expect(try RedactionPolicy(yaml: "default_operator: {type: mask, char: 0}").defaultOperator
            == .mask(char: "*", keepLast: 0, keepSeparators: false))
        #expect(try RedactionPolicy(yaml: "{}") == .default)
    }

    /// Scalars keep the types YAML gives them: a plain number, boolean or null where a string is
    /// needed is refused, the same quoted is text; a key written with `null` is present.
    @Test func scalarsKeepTheirYAMLTypes() {
        for bad in ["allow: [123]", "allow: [yes]", "allow: [~]", "allow: [0x1F]", "allow: [1.5]", "allow: [.inf]",
                    "entities: [1:30]", "invalid_utf8: 1"] {
            #expect(refusal(bad) != nil, "\(bad)")
        }
        #expect((try? RedactionPolicy(yaml: "allow: ['123', 'yes', '~', Nan, Infinity]"))?.allow
            == ["123", "yes", "~", "Nan", "Infinity"])
        #expect(refusal("patterns: [{name: P, pattern: p, score: ~}]")?.message
            == "invalid redaction policy: `redaction.patterns[0].score` must be a number")
        #expect(refusal("patterns: [{name: P, pattern: p, word_boundary: ~}]")?.at == "patterns.0.word_boundary")
        #expect(refusal("redaction") != nil)
    }

    /// A refusal names the value by its place in the section and is located at it.
    @Test func refusalsAreLocatedAtTheirValue() {
        #expect(refusal("fields: [{path: $.a}, {path: x}]").map { [$0.message, $0.at] }
            == ["invalid redaction policy: `redaction.fields[1].path`: a JSON path starts with `$`", "fields.1.path"])
        #expect(refusal("fields: [{path: $.a}, {operator: drop}]")?.at == "fields.1")
        #expect(refusal("scan: [$.a, b]")?.at == "scan")
        #expect(refusal("allow: [a, 3]")?.at == "allow.1")
        #expect(refusal("operators: {PERSON: {type: mask, keep_last: -1}}").map { [$0.message, $0.at] }
            == ["invalid redaction policy: `redaction.operators.PERSON.keep_last` must be ≥ 0", "operators.PERSON"])
        #expect(refusal("operators: {PERSON: {type: mask, chars_to_keep: x}}")?.message
            == "invalid redaction policy: `redaction.operators.PERSON.keep_last` must be an integer")
        #expect(refusal("dictionaries: [{name: D, terms: [a], context_window: 0}]").map { [$0.message, $0.at] }
            == ["invalid redaction policy: `redaction.dictionaries[0].context_window` must be 1 to 256 bytes",
                "dictionaries.0.context_window"])
        #expect(refusal("patterns: [{name: P, pattern: p, contxt: [a]}]").map { [$0.message, $0.at] }
            == ["invalid redaction policy: unknown key `redaction.patterns[0].contxt` (known: context, context_window, "
                + "name, pattern, score, word_boundary)", "patterns.0.contxt"])
    }
}
