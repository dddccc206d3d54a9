import Testing

@testable import Redaction

/// Random inputs mixing PII, separators, multi-byte text and (for the byte-level tests) invalid UTF-8.
struct Gen {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    static let pieces = [
        "ann@example.com", "+44 20 7946 0958", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "536-90-4128",
        "912-70-1234", "NHS 943 476 5919", "192.168.1.1", "2001:db8::1", "00:1A:2B:3C:4D:5E", "https://x.io/p?q=1",
        "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "July 15, 1982", "John Smith", "Berlin", "Zoë", "東京", "🙂", " ", " ",
        ", ", ".", "-", ":", "(", ")", "@", "+", "1", "12", "2024", "x", "the", "Dr.", "New York", "é", "\u{301}",
        "415-555-2671", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "www.", "::", "\n", "\t",
    ]

    mutating func text() -> String {
        var s = ""
        for _ in 0..<(1 + int(12)) { s += Gen.pieces[int(Gen.pieces.count)] }
        return s
    }

    mutating func bytes() -> [UInt8] {
        var b = Array(text().utf8)
        for _ in 0..<int(4) {
            let junk: [[UInt8]] = [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xC0, 0xAF]]
            b.insert(contentsOf: junk[int(junk.count)], at: int(b.count + 1))
        }
        return b
    }
}

@Suite struct PropertyTests {
    /// The `operators:` of the first six runs.
    static let operatorSets = [
        "{}", "{default: {type: mask, keep_last: 4}}", "{default: pseudonym}", "{default: encrypt}", "{default: redact}",
        "{DATE_TIME: {type: generalize, to: year}}",
    ]

    /// Values the seventh run allows (`redaction.allow`), with the default operators.
    static let allowed = ["John Smith", "ann@example.com", "192.168.1.1", "Berlin"]

    /// Case-insensitive dictionary terms of the eighth run, over pieces of the generated text.
    static let folded = ["new york", "ZOË", "john smith berlin", "dr"]

    @Test(arguments: 0..<8)
    func idempotentValidAndBounded(set: Int) throws {
        var yaml = "operators: \(Self.operatorSets[min(set, 5)])"
        if set == 6 { yaml = "allow: \(yamlList(Self.allowed))" }
        if set == 7 { yaml = "dictionaries: [{name: TERM, terms: \(yamlList(Self.folded)), case_insensitive: true}]" }
        let r = try Redactor(policy: RedactionPolicy(yaml: yaml), keys: testKeys)
        var g = Gen(s: UInt64(set) &* 7919)
        var termHits = 0
        for _ in 0..<400 {
            let t = g.text()
            let once = r.redact(text: t)
            let twice = r.redact(text: once)
            #expect(once == twice, "not idempotent")
            // Output is a String built from validated bytes: re-encoding is lossless.
            #expect(String(decoding: Array(once.utf8), as: UTF8.self) == once)
            let scalars = t.unicodeScalars.count
            for e in r.entities(in: t) {
                if e.type.rawValue == "TERM" { termHits += 1 }
                #expect(0 <= e.start && e.start < e.end && e.end <= scalars)
                if set == 6 {
                    let value = String(String.UnicodeScalarView(Array(t.unicodeScalars)[e.start..<e.end]))
                    #expect(!Self.allowed.contains(value), "an allowed value was reported")
                }
                // Byte offsets sit on scalar boundaries: the prefix decodes to exactly `start` scalars.
                let prefix = Array(t.utf8)[0..<e.byteStart]
                #expect(String(decoding: prefix, as: UTF8.self).unicodeScalars.count == e.start)
                #expect(prefix.last.map { $0 & 0xC0 != 0x80 || true } ?? true)
                let b = Array(t.utf8)
                if e.byteStart < b.count { #expect(b[e.byteStart] & 0xC0 != 0x80) }
                if e.byteEnd < b.count { #expect(b[e.byteEnd] & 0xC0 != 0x80) }
            }
        }
        if set == 7 { #expect(termHits > 20, "the case-insensitive terms were found \(termHits) times") }
    }

    /// Entity offsets are code points, end exclusive, as Python indexes a str — checked for start and
    /// end against the scalars of the prefix, per record and in batches, with one- to four-byte
    /// characters before, between and inside hits, and hits at every distance from the start (the
    /// conversion walks 16, then 8 bytes at a time and reads the last 1–7 bytes as one word).
    @Test func offsetsAreCodePointsForEveryPrefixLength() {
        let r = Fixtures.redactor
        let fillers = ["a", "é", "日", "😀", " ", "ß", "ok ", "ñandú ", "\u{2019}", "x1 "]
        let hits = [" anna.novak@example.com ", " hi Maria Garcia, ", " 10.1.2.3 ", " +44 20 7946 0958 ", " Zürich ",
                    " José Müller ", " 4111 1111 1111 1111 "]
        var g = Gen(s: 2027)
        var texts: [String] = []
        var checked = 0
        for round in 0..<1_500 {
            var t = ""
            for _ in 0..<(round % 40) { t += fillers[g.int(fillers.count)] }
            t += hits[g.int(hits.count)]
            for _ in 0..<g.int(12) { t += fillers[g.int(fillers.count)] }
            if g.int(2) == 0 { t += hits[g.int(hits.count)] }
            texts.append(t)
            let bytes = Array(t.utf8)
            for e in r.entities(in: t) {
                #expect(String(decoding: bytes[0..<e.byteStart], as: UTF8.self).unicodeScalars.count == e.start)
                #expect(String(decoding: bytes[0..<e.byteEnd], as: UTF8.self).unicodeScalars.count == e.end)
                checked += 1
            }
        }
        #expect(checked > 1_500)
        let batch = r.entities(inEach: texts)
        #expect(batch.entities == texts.flatMap { r.entities(in: $0) })
    }

    @Test func invalidUTF8NeverCrashes() throws {
        let replace = try Redactor()
        let reject = try Redactor(policy: RedactionPolicy(yaml: "invalid_utf8: reject"))
        var g = Gen(s: 99)
        var rejected = 0
        var validWithEntities = 0
        for _ in 0..<500 {
            let b = g.bytes()
            let out = try replace.redact(utf8: b)
            // `replace` turns each ill-formed sequence into U+FFFD (as Swift's decoder does, by maximal
            // subparts) and then redacts the text; the validator agrees with that decoder on what is
            // ill-formed (the generated text itself has no U+FFFD).
            let decoded = String(decoding: b, as: UTF8.self)
            #expect(out == replace.redact(text: decoded))
            #expect(decoded.unicodeScalars.contains("\u{FFFD}") == (UTF8Validation.firstInvalidOffset(b) != nil))
            do {
                _ = try reject.redact(utf8: b)
                #expect(UTF8Validation.firstInvalidOffset(b) == nil)
            } catch let e {
                rejected += 1
                if case .invalidUTF8 = e {} else { Issue.record("unexpected error") }
            }
            // The scanner itself must survive raw ill-formed bytes too, and report spans inside the
            // input, in order and disjoint; on well-formed bytes it finds what it finds in the String.
            let raw = b.withUnsafeBufferPointer { replace.entities(utf8: $0) }
            var previousEnd = 0
            for entity in raw {
                #expect(entity.start >= previousEnd && entity.start < entity.end && entity.end <= b.count)
                previousEnd = entity.end
            }
            if UTF8Validation.firstInvalidOffset(b) == nil {
                #expect(raw == replace.entities(in: decoded))
                if !raw.isEmpty { validWithEntities += 1 }
            }
        }
        #expect(rejected > 0)
        #expect(validWithEntities > 20)
    }

    /// Whatever the policy, the main loop's trigger bytes stay the built-in set, which the vector test
    /// stops at: user patterns, literal terms and dictionary words that start lowercase are left to
    /// the user-rule pass (they used to add trigger bytes and turn the vector skip off).
    @Test func userRulesAddNoTriggerBytes() throws {
        let policies = [
            #"patterns: [{name: QCODE, pattern: 'qzq\d{3}'}, {name: DOT, pattern: '\.env'}]"#,
            "dictionaries: [{name: V, terms: [blue heron, '#x', 3M]}]",
            "dictionaries: [{name: V, terms: [acme corp, Ωmega], case_insensitive: true}]",
        ]
        for yaml in policies {
            let r = try Redactor(policy: RedactionPolicy(yaml: yaml))
            #expect(r.config.trigger == Fixtures.redactor.config.trigger)
            #expect(r.config.hasUserRules)
        }
        #expect(!Fixtures.redactor.config.hasUserRules)
    }

    /// The user-rule pass finds the same patterns and literal terms when it compares first bytes in
    /// the vector (at most eight distinct ones) as when it checks each word start in a table (more):
    /// the second policy adds rules whose first bytes never occur in the text, only to turn the
    /// vector compare off.
    @Test func userRuleSearchAgreesWithTableLoop() throws {
        // First bytes E, #, 3, A (patterns and literal terms), b (a lowercase term), k and K (a
        // case-insensitive one): seven.
        let rules = #"""
            patterns: [{name: EMPID, pattern: 'EMP-\d{6}'}, {name: AREF, pattern: 'A\d{4}'}]
            dictionaries:
              - {name: ORG, terms: ['#secret', 3M, AT&T, Acme.io, blue heron]}
              - {name: BIRD, terms: [kestrel, kite hawk], case_insensitive: true}

            """#
        let vector = try Redactor(policy: RedactionPolicy(yaml: rules))
        let table = try Redactor(
            policy: RedactionPolicy(yaml: rules + "  - {name: NEVER, terms: ['~q', '^q', '`q', '|q', '{q']}"))
        #expect(vector.config.userNeedles != nil)
        #expect(table.config.userNeedles == nil)
        let pieces = Gen.pieces + ["EMP-123456", "xEMP-123456", "A1234", "A12345", "#secret", "a#secret", "3M", "13M",
                                   "AT&T", "AT&Tx", "Acme.io", "Acme.iox", "66", "4 5", "-", ".", "blue heron",
                                   "Blue heron", "blue", "heron", "kestrel", "KESTREL", "Kestrel", "kestrels", "xkestrel",
                                   "kite hawk", "Kite Hawk", "KITE", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]
        var g = Gen(s: 808)
        var found = 0
        for _ in 0..<3000 {
            var t = ""
            for _ in 0..<(1 + g.int(24)) {
                t += pieces[g.int(pieces.count)]
                if g.int(3) != 0 { t += " " }
            }
            let a = vector.entities(in: t)
            #expect(a == table.entities(in: t), "differs on \(t.utf8.count)-byte input")
            found += a.filter { ["EMPID", "AREF", "ORG", "BIRD"].contains($0.type.rawValue) }.count
        }
        #expect(found > 1000)
    }

    /// The bitmask main loop (which leaves out stops it knows to be empty: in-word capitals and digits,
    /// capitalised words the gazetteer turns away) finds exactly what the stop-at-every-trigger loop
    /// finds, on text built from every trigger class and the cases the mask treats specially: bech32
    /// prefixes in any case, capitals glued to digits, `_`, `'`, `-` or non-ASCII letters, hex-like and
    /// IBAN-like capitals, names, places, months, at every offset around the 64-byte blocks.
    @Test(arguments: 0..<2)
    func blockLoopAgreesWithReferenceLoop(withPattern: Int) throws {
        let r = withPattern == 0 ? Fixtures.redactor : try Redactor(policy: RedactionPolicy(
            yaml: #"patterns: [{name: EMPID, pattern: 'EMP-\d{6}'}, {name: CODE, pattern: 'Zq\d{2}'}]"#))
        let pieces = Gen.pieces + [
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "bC1", "Bc1", "tB1",
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "xbc1", "Xbc1", "Hey", "The", "Can", "I", "Maria", "Smith",
            "May", "Nice", "Jean-Luc", "O'Brien", "Ab", "AB", "Face:", "Dead-", "Beef.", "Cafe", "AbCd", "Hello9", "Hello_",
            "HelloÉ", "Müller", "GB29NWBK60161331926819", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "EMP-123456", "Zq12",
            "Mr", "Rio de Janeiro", "15 July 1982", "a1", "x9", "_", "'", "\u{2019}", "\u{2013}", "\u{a0}", "1st", "EMP",
            // Short numbers and what may follow them (the digit shortcut).
            "3", "12", "123456", "1234567", "3.", "4/", "10-", "9_", "7é", "of", "de", "March", "mars", "items", "Mai",
        ]
        var g = Gen(s: 64 &+ UInt64(withPattern))
        for round in 0..<4000 {
            var t = ""
            for _ in 0..<(1 + g.int(30)) {
                t += pieces[g.int(pieces.count)]
                if g.int(2) == 0 { t += " " }
            }
            if round % 5 == 0 { t = String(t.prefix(g.int(140))) }
            let a = r.entities(in: t)
            let b = r.referenceEntities(in: t)
            #expect(a == b, "differs on \(t.utf8.count)-byte input")
        }
    }

    /// The batch entry points and the workspace calls give exactly what the per-record calls give, with
    /// one workspace reused across records — including records with more raw hits than the initial
    /// match buffer holds (it grows and is reused) — and non-ASCII text before and between hits.
    @Test(arguments: 0..<2)
    func batchAndWorkspaceAgreeWithPerRecord(withPattern: Int) throws {
        let r = withPattern == 0 ? Fixtures.redactor : try Redactor(policy: RedactionPolicy(yaml: #"""
            patterns: [{name: EMPID, pattern: 'EMP-\d{6}'}]
            operators: {default: {type: mask, keep_last: 2}}
            """#))
        var g = Gen(s: 77 &+ UInt64(withPattern))
        var texts: [String] = []
        for round in 0..<1500 {
            var t = g.text()
            if round % 10 == 0 { t = (0..<(10 + g.int(30))).map { _ in g.text() }.joined(separator: " ") }
            if round % 13 == 0 { t = String(repeating: "ann@example.com 192.168.1.1 EMP-123456 ", count: 20 + g.int(30)) }
            if round % 17 == 0 { t = "" }
            texts.append(t)
        }
        let workspace = Redactor.Workspace()
        let batch = r.entities(inEach: texts, workspace: workspace)
        let redacted = r.redact(each: texts, workspace: workspace)
        #expect(batch.count == texts.count)
        #expect(redacted.count == texts.count)
        var grew = false
        for (k, t) in texts.enumerated() {
            let expected = r.entities(in: t)
            if expected.count > 64 { grew = true }
            #expect(Array(batch[k]) == expected, "batch differs on record \(k)")
            #expect(r.entities(in: t, workspace: workspace) == expected, "workspace differs on record \(k)")
            #expect(redacted[k] == r.redact(text: t), "batched redaction differs on record \(k)")
        }
        #expect(grew, "no record overflowed the initial match buffer")
    }

    @Test func utf8CheckAgreesWithStdlib() {
        var g = Gen(s: 5)
        for _ in 0..<1000 {
            let b = g.bytes()
            let valid = String(validating: b, as: UTF8.self) != nil
            #expect((UTF8Validation.firstInvalidOffset(b) == nil) == valid)
        }
    }
}

/// No raw detected value may reach an error message, a description or a log line.
@Suite struct NoLeakTests {
    static let secrets = ["ann@example.com", "4111111111111111", "536-90-4128", "DE89370400440532013000"]

    @Test func errorsAndDescriptionsCarryNoValues() throws {
        var messages: [String] = []
        let rejecting = try Redactor(policy: RedactionPolicy(yaml: "invalid_utf8: reject"))
        for s in Self.secrets {
            var bytes = Array("x \(s) y".utf8)
            bytes.append(0xFF)
            do { _ = try rejecting.redact(utf8: bytes) } catch { messages.append(error.description) }
            do { _ = try Operators.decrypt(type: "EMAIL_ADDRESS", hex: Array("zz\(s)".utf8), keys: testKeys) } catch {
                messages.append(error.description)
            }
            do { _ = try RedactionKeys(master: Array(s.prefix(10).utf8)) } catch { messages.append(error.description) }
            do { _ = try RedactionPolicy(yaml: "patterns: [{name: P, pattern: '\(s)('}]") } catch {
                messages.append("\(error)")
            }
        }
        messages.append(testKeys.description)
        messages.append(String(describing: testKeys))
        for m in messages {
            for s in Self.secrets { #expect(!m.contains(s), "leak in: \(m)") }
            #expect(!m.contains("0123456789abcdef"), "key material in: \(m)")
        }
        #expect(messages.count >= 10)
    }

    @Test func entitiesCarryOffsetsNotValues() {
        let es = Fixtures.redactor.entities(in: "mail ann@example.com")
        for e in es {
            let d = String(describing: e)
            #expect(!d.contains("ann@example.com"))
        }
    }
}
