import Testing

@testable import Redaction

let testKeys = try! RedactionKeys(master: Array("0123456789abcdef0123456789abcdef".utf8))

@Suite struct OperatorTests {
    /// A redactor with the `operators:` mapping written in YAML.
    func redactor(_ operators: String, keys: RedactionKeys? = testKeys) throws -> Redactor {
        try Redactor(policy: RedactionPolicy(yaml: "operators: \(operators)"), keys: keys)
    }

    @Test func replaceAndRedact() throws {
        #expect(Fixtures.redactor.redact(text: "mail ann@example.com now") == "mail <EMAIL_ADDRESS> now")
        let r = try redactor("{EMAIL_ADDRESS: redact}")
        #expect(r.redact(text: "mail ann@example.com now") == "mail  now")
        let t = try redactor("{default: {type: replace, template: '[{type}]'}}")
        #expect(t.redact(text: "mail ann@example.com now") == "mail [EMAIL_ADDRESS] now")
    }

    @Test func mask() throws {
        let r = try redactor("{CREDIT_CARD: {type: mask, keep_last: 4, char: '#'}}")
        #expect(r.redact(text: "card 4111 1111 1111 1111.") == "card ###############1111.")
        let s = try redactor("{CREDIT_CARD: {type: mask, keep_last: 4, keep_separators: true}}")
        #expect(s.redact(text: "card 4111-1111-1111-1111.") == "card ****-****-****-1111.")
    }

    @Test func pseudonymIsStableAndKeyed() throws {
        let r = try redactor("{EMAIL_ADDRESS: pseudonym}")
        let a = r.redact(text: "ann@example.com")
        #expect(a == r.redact(text: "ann@example.com"))
        #expect(a.hasPrefix("<EMAIL_ADDRESS_") && a.count == "<EMAIL_ADDRESS_>".count + 16)
        #expect(a != r.redact(text: "bob@example.com"))
        let other = try redactor("{EMAIL_ADDRESS: pseudonym}", keys: RedactionKeys(master: Array("another key of 32 bytes!!!!!!!!!".utf8)))
        #expect(a != other.redact(text: "ann@example.com"))
        #expect(!a.contains("ann"))
    }

    @Test func pseudonymNeedsKey() {
        #expect(throws: RedactionError.self) { try redactor("{EMAIL_ADDRESS: pseudonym}", keys: nil) }
    }

    @Test func encryptRoundTrip() throws {
        let r = try redactor("{default: encrypt}")
        let text = "Card 4111 1111 1111 1111, mail zoë@example.com, ssn 536-90-4128."
        let enc = r.redact(text: text)
        #expect(!enc.contains("4111") && !enc.contains("zoë"))
        #expect(enc == r.redact(text: text), "deterministic")
        let dec = Redactor.decrypt(text: enc, keys: testKeys)
        #expect(dec.text == text && dec.failures == 0)
        let wrong = Redactor.decrypt(text: enc, keys: try RedactionKeys(master: Array("wrong key wrong key wrong key!!!".utf8)))
        #expect(wrong.failures == 3 && wrong.text == enc)
    }

    @Test func generalize() {
        #expect(Operators.generalize("July 15, 1982", .year, type: .dateTime) == "1982")
        #expect(Operators.generalize("15.07.1982", .month, type: .dateTime) == "1982-07")
        #expect(Operators.generalize("1982-07-15T10:00:00Z", .month, type: .dateTime) == "1982-07")
        #expect(Operators.generalize("15 juillet 1982", .month, type: .dateTime) == "1982-07")
        #expect(Operators.generalize("37", .ageBand(width: 10), type: .dateTime) == "30-39")
        #expect(Operators.generalize("1234.5", .bucket(width: 1000), type: .dateTime) == "1000-2000")
        #expect(Operators.generalize("SW1A 1AA", .prefix(count: 4), type: .dateTime) == "SW1A")
        #expect(Operators.generalize("75008", .prefix(count: 2), type: .dateTime) == "75")
    }

    @Test func noiseIsBoundedAndKeyed() {
        for i in 0..<200 {
            let v = Operators.noise("\(i)", scale: 5, distribution: .uniform, decimals: nil, salt: "$.x", keys: testKeys)!
            #expect(abs(Double(v)! - Double(i)) <= 5.0001)
            #expect(v == Operators.noise("\(i)", scale: 5, distribution: .uniform, decimals: nil, salt: "$.x", keys: testKeys))
        }
        #expect(Operators.noise("abc", scale: 1, distribution: .laplace, decimals: nil, salt: "", keys: nil) == nil)
    }
}

@Suite struct RecordTests {
    @Test func fieldRulesAndScan() throws {
        let policy = try RedactionPolicy(yaml: """
            fields:
              - {path: $.user.email, operator: pseudonym, entity: EMAIL_ADDRESS}
              - {path: $.user.ssn, operator: drop}
              - {path: $.user.age, operator: {type: generalize, to: age_band, width: 10}}
              - {path: $.amount, operator: {type: noise, scale: 2}}
              - {path: "$.items[*].sku", operator: keep}
            scan: [$.message, "$.items[*].note"]
            """)
        let r = try Redactor(policy: policy, keys: testKeys)
        let rec: RedactionJSON = .object([
            ("user", .object([("email", .string("ann@example.com")), ("ssn", .string("536-90-4128")), ("age", .number("37"))])),
            ("amount", .number("100")),
            ("message", .string("call me at +44 20 7946 0958")),
            ("other", .string("ann@example.com stays: not scanned")),
            ("items", .array([.object([("sku", .string("4111111111111111")), ("note", .string("to bob@example.com"))])])),
        ])
        let out = try r.redact(record: rec)
        guard case .object(let m) = out, case .object(let user)? = m.first(where: { $0.key == "user" })?.value else {
            Issue.record("shape")
            return
        }
        #expect(user.map(\.key) == ["email", "age"])
        #expect(user[1].value == .string("30-39"))
        if case .string(let e) = user[0].value { #expect(e.hasPrefix("<EMAIL_ADDRESS_")) } else { Issue.record("email") }
        #expect(m.first { $0.key == "message" }?.value == .string("call me at <PHONE_NUMBER>"))
        #expect(m.first { $0.key == "other" }?.value == .string("ann@example.com stays: not scanned"))
        if case .number(let a)? = m.first(where: { $0.key == "amount" })?.value {
            #expect(abs(Double(a)! - 100) <= 2)
        } else {
            Issue.record("amount")
        }
        #expect(m.last?.value == .array([.object([("sku", .string("4111111111111111")), ("note", .string("to <EMAIL_ADDRESS>"))])]))
    }

    @Test func defaultScansAllStrings() throws {
        let r = try Redactor()
        let out = try r.redact(record: .object([("a", .array([.string("x ann@example.com")])), ("n", .number("4111111111111111"))]))
        #expect(out == .object([("a", .array([.string("x <EMAIL_ADDRESS>")])), ("n", .number("4111111111111111"))]))
    }

    @Test func jsonPaths() throws {
        let p = try JSONPath(parsing: "$..email")
        #expect(p.matches([.key("a"), .index(2), .key("email")]))
        #expect(!p.matches([.key("a"), .key("emails")]))
        #expect(try JSONPath(parsing: "$['a b'][0]").matches([.key("a b"), .index(0)]))
        #expect(throws: RedactionError.self) { try JSONPath(parsing: "a.b") }
    }
}

@Suite struct KeyTests {
    struct NoFile: Error {}

    @Test func loadFromEnvironmentOrFile() throws {
        let hex = "hex:" + String(repeating: "ab", count: 32)
        let a = try RedactionKeys.load(environment: ["STEWARD_REDACTION_KEY": hex]) { _ in throw NoFile() }
        let b = try RedactionKeys.load(environment: ["STEWARD_REDACTION_KEY_FILE": "/k"]) { path in
            #expect(path == "/k")
            return Array((hex + "\n").utf8)
        }
        #expect(a?.keyID == b?.keyID && a != nil)
        let c = try RedactionKeys.load(environment: ["STEWARD_REDACTION_KEY": "base64:" + "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="]) { _ in [] }
        #expect(c?.keyID == a?.keyID)
        #expect(try RedactionKeys.load(environment: [:]) { _ in [] } == nil)
        #expect(throws: RedactionError.self) {
            try RedactionKeys.load(environment: ["STEWARD_REDACTION_KEY_FILE": "/secret-path"]) { _ in throw NoFile() }
        }
        #expect(throws: RedactionError.self) { try RedactionKeys.load(environment: ["STEWARD_REDACTION_KEY": "hex:zz"]) { _ in [] } }
        #expect(!a!.description.contains("abab"))
    }
}
