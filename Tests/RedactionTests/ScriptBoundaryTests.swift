import Testing

@testable import Redaction

/// Word boundaries by script (`WordClass`): an ASCII entity glued to CJK, kana, Hangul or Thai text, or
/// to CJK and full-width punctuation, is found with its exact span; Latin letters with diacritics
/// still continue a word.
@Suite struct ScriptBoundaryTests {
    @Test func everyRecogniserFindsEntitiesGluedToOtherScripts() {
        let cases: [(String, [String: String])] = [
            ("連絡先：james@example.com。ありがとう", ["EMAIL_ADDRESS": "james@example.com"]),
            ("メールjames@example.comで連絡", ["EMAIL_ADDRESS": "james@example.com"]),
            ("IBAN：FI4109412313939768。ありがとう", ["IBAN_CODE": "FI4109412313939768"]),
            ("口座DE89370400440532013000です", ["IBAN_CODE": "DE89370400440532013000"]),
            ("IPアドレス：135.60.156.49", ["IP_ADDRESS": "135.60.156.49"]),
            ("地址2001:db8::1。", ["IP_ADDRESS": "2001:db8::1"]),
            ("机器e6:dc:c9:be:e3:89坏了", ["MAC_ADDRESS": "e6:dc:c9:be:e3:89"]),
            ("카드번호4111 1111 1111 1111입니다", ["CREDIT_CARD": "4111 1111 1111 1111"]),
            ("번호536-90-4128로", ["US_SSN": "536-90-4128"]),
            ("วันที่2024-05-13ครับ", ["DATE_TIME": "2024-05-13"]),
            ("サイトhttps://example.com/path。です", ["URL": "https://example.com/path"]),
            ("サイトwww.example.comです", ["URL": "www.example.com"]),
            ("「https://example.com/a?b=c」", ["URL": "https://example.com/a?b=c"]),
            ("電話+81 90-1234-5678まで", ["PHONE_NUMBER": "+81 90-1234-5678"]),
            ("钱包0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed。", ["CRYPTO": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"]),
            ("（192.168.0.1）と（10.0.0.2）", ["IP_ADDRESS": "10.0.0.2"]),
        ]
        for (text, want) in cases {
            let got = hits(text)
            for (type, value) in want {
                #expect(got.contains { $0.0 == type && $0.1 == value }, "\(text): \(got)")
            }
            #expect(got.count == 1 || text.hasPrefix("（"), "\(text): \(got)")
        }
    }

    /// Letters of the scripts written with spaces continue an ASCII word, as before: a number glued to
    /// "Müller" is part of that word, as one glued to "text" is.
    @Test func latinLettersWithDiacriticsStayWordCharacters() {
        #expect(hits("schreib an jörg@example.de bitte").map(\.1) == ["jörg@example.de"])
        #expect(hits("Grüßeanna@example.com").map(\.1) == ["Grüßeanna@example.com"])
        #expect(hits("an иван@example.com").map(\.1) == ["иван@example.com"])
        #expect(types("Müller192.168.1.1").isEmpty)
        #expect(types("text192.168.1.1").isEmpty)
        #expect(types("Straße4111111111111111").isEmpty)
    }

    @Test func codePointClasses() {
        for cp: UInt32 in [0xE9, 0xDF, 0x0161, 0x03B1, 0x0436, 0x05D0, 0x0627, 0x1EA1] {
            #expect(WordClass.of(scalar: cp) == WordClass.latin, "\(cp)")
        }
        for cp: UInt32 in [0x6771, 0x3042, 0x30A2, 0xAC00, 0x0E01, 0x0915, 0xFF21, 0xFF10] {
            #expect(WordClass.of(scalar: cp) == WordClass.other, "\(cp)")
        }
        for cp: UInt32 in [0xA0, 0xAB, 0xD7, 0x2019, 0x2026, 0x3001, 0x3002, 0x300C, 0xFF1A, 0xFF08, 0x1F642] {
            #expect(WordClass.of(scalar: cp) == WordClass.nonWord, "\(cp)")
        }
    }

    @Test func userRulesStartAndEndAtScriptBoundaries() throws {
        let r = try Redactor(policy: RedactionPolicy(yaml: #"""
            patterns: [{name: TICKET, pattern: 'tk-\d{4}', score: 0.9}]
            dictionaries:
              - {name: FIRM, terms: [AT&T, Acme], score: 0.9}
              - {name: CITY, terms: [東京], score: 0.9}
            """#))
        #expect(hits("チケットtk-1234です", r).map { [$0.0, $0.1] } == [["TICKET", "tk-1234"]])
        #expect(hits("xtk-1234 tk-12345", r).isEmpty)
        #expect(hits("会社AT&Tです、Acmeの件", r).map(\.1) == ["AT&T", "Acme"])
        #expect(hits("AT&Tx Acmes", r).isEmpty)
        // A CJK term is a word of its script: found next to Latin letters, not inside a longer CJK word.
        #expect(hits("see東京 and 東京都", r).map(\.1) == ["東京"])
    }

    /// Text of another script is passed over without decoding unless a gazetteer or dictionary word
    /// is written in such a script; a Latin word glued after it still starts a word.
    @Test func otherScriptTextIsPassedOverUnlessAWordNeedsIt() throws {
        #expect(hits("see 東京Émile Zola here").map(\.1) == ["Émile Zola"])
        #expect(hits("大阪と東京").isEmpty)
        let r = try Redactor(policy: RedactionPolicy(yaml: "gazetteer: {locations: [東京]}"))
        #expect(hits("大阪と 東京 へ", r).map { [$0.0, $0.1] } == [["LOCATION", "東京"]])
    }
}
