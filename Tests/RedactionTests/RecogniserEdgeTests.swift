import Testing

@testable import Redaction

/// The defect classes of issue #23, each at its root.
@Suite struct RecogniserEdgeTests {
    @Test func ipv4WithPrefixLengthOrPort() {
        #expect(hits("Subnet: 192.168.1.0/24").map(\.1) == ["192.168.1.0/24"])
        #expect(hits("route 10.0.0.0/8.").map(\.1) == ["10.0.0.0/8"])
        #expect(hits("10.0.0.0/123").map(\.1) == ["10.0.0.0"])
        #expect(hits("at 192.168.1.1:8080 now").map(\.1) == ["192.168.1.1"])
        #expect(hits("2001:db8::/32 and fe80::/10").map(\.1) == ["2001:db8::/32", "fe80::/10"])
    }

    @Test func ipv6NeitherInsideWordsNorPartial() {
        for text in ["text2001:db8::1", "12345:db8::1", "2001::db8::1", "::ffff:256.0.0.1", "::ffff:192.168.1",
                     "2001:db8::256.1.1.1", "std::cout", ":::"] {
            #expect(types(text).isEmpty, "\(text): \(hits(text))")
        }
        #expect(hits("foo2001:db8::10.0.0.1").map(\.1) == ["10.0.0.1"])
        #expect(hits("key: 2001:db8::1").map(\.1) == ["2001:db8::1"])
    }

    @Test func ibanRegistryAndSeparators() {
        for iban in ["LY83002048000020100120361", "AL47-2121-1009-0000-0002-3569-8741", "LY83 0020 4800 0020 1001 2036 1"] {
            #expect(hits("iban \(iban) ok").map(\.1) == [iban], "\(iban)")
        }
        for cc in ["BI", "DJ", "FK", "HN", "LY", "MN", "NI", "OM", "RU", "SD", "SO", "YE"] {
            let b = Array(cc.utf8)
            #expect(Checksums.ibanLength(b[0], b[1]) != nil, "\(cc)")
        }
        // Digit groups inside an invalid IBAN are not phone or card numbers.
        #expect(types("KW81 CBKU 0000 0000 0000 1234 5601 02").isEmpty)
        #expect(types("AL47 2121 1009 0000 0002 3569 8740").isEmpty)
    }

    @Test func punycodeTopLevelDomains() {
        #expect(hits("a@xn--d1acufc.xn--p1ai").map(\.1) == ["a@xn--d1acufc.xn--p1ai"])
        #expect(hits("my email is user@xn--80ak6aa92e.com today").map(\.1) == ["user@xn--80ak6aa92e.com"])
    }

    @Test func dashedAndUppercaseMonthDates() {
        for d in ["5-MAY-2021", "5-May-2021", "May-2021", "21-May", "12-March 1982"] {
            #expect(hits("Today is \(d).").map { [$0.0, $0.1] } == [["DATE_TIME", d]], "\(d)")
        }
    }

    @Test func dottedSsnUatpAndNanp() {
        #expect(hits("ssn 078.05.1123").map { [$0.0, $0.1] } == [["US_SSN", "078.05.1123"]])
        #expect(hits("card 122000000000003").map { [$0.0, $0.1] } == [["CREDIT_CARD", "122000000000003"]])
        // NANP exchanges start with 2–9: "401-023-2137" is no US number (a valid NHS number here).
        #expect(hits("401-023-2137").map(\.0) == ["UK_NHS"])
        #expect(hits("call 415-555-2671").map(\.0) == ["PHONE_NUMBER"])
        #expect(types("call 415-155-2671").isEmpty)
    }

    @Test func nationalPhoneFormats() {
        for phone in ["0467(94)9600", "090(7280)4993", "0466-86-2949", "03-1234-5678", "010-1234-5678", "02-123-4567",
                      "0 2123 4567", "07631 706690", "06 56 31 70 66", "+33 (0)6 04 39 15 00", "(0306) 999 0074",
                      "+44 20 7946 0958", "(11) 98456-5666", "+55 11 98456 5666", "+91 98765 43210"] {
            #expect(hits("tel \(phone) ok").map { [$0.0, $0.1] } == [["PHONE_NUMBER", phone]], "\(phone): \(hits("tel \(phone) ok"))")
        }
        #expect(hits("电话16277631706").map(\.1) == ["16277631706"])
        #expect(hits("โทร：035043686").map(\.1) == ["035043686"])
        // Nine digits after a zero are not a number when more groups follow: the card is.
        #expect(hits("0 4111 1111 1111 1111").map(\.0) == ["CREDIT_CARD"])
    }

    @Test func broadcastAndZeroMacsAreNoDevice() {
        #expect(types("Broadcast: FF:FF:FF:FF:FF:FF").isEmpty)
        #expect(types("Invalid: 00:00:00:00:00:00").isEmpty)
        #expect(hits("MAC: 00:1A:2B:3C:4D:5E").map(\.1) == ["00:1A:2B:3C:4D:5E"])
    }

    @Test func bareDomainsAreLowScoreUrls() throws {
        let found = Fixtures.redactor.entities(in: "my domains: microsoft.com google.co.il, see kato.com/about.")
        #expect(found.map(\.type.rawValue) == ["URL", "URL", "URL"])
        #expect(found.allSatisfy { $0.score == 0.6 })
        #expect(hits("https://kato.com").first.map { _ in Fixtures.redactor.entities(in: "https://kato.com")[0].score } == 0.95)
        for text in ["README.md", "main.py", "john.smith@example.com", "e.g. this", "v1.2.3", "a/b.com", "x.com_y"] {
            #expect(!types(text).contains("URL"), "\(text): \(hits(text))")
        }
        let off = try Redactor(policy: RedactionPolicy(yaml: "urls: {bare_domains: false}"))
        #expect(hits("see kato.com and https://kato.com", off).map(\.1) == ["https://kato.com"])
        #expect(refusal("urls: {bare: false}")?.at == "urls.bare")
    }
}
