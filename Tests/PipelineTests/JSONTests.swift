import Foundation
import Testing

@testable import Pipeline

@Suite struct JSONParsing {
    @Test func compactRoundTripKeepsOrderNumbersAndText() throws {
        let input = #"{ "b": 1.50, "a": [true, false, null, -0.0, 1e3, 12345678901234567890], "é": "line\nbreak \u00e9 \ud83d\ude80 \/" }"#
        let value = try JSONParser.parse(Array(input.utf8))
        let output = String(decoding: JSONWriter.encode(value), as: UTF8.self)
        #expect(output == #"{"b":1.50,"a":[true,false,null,-0.0,1e3,12345678901234567890],"é":"line\nbreak é 🚀 /"}"#)
        #expect(try JSONParser.parse(Array(output.utf8)) == value)
    }

    @Test(arguments: [
        "", "{", "}", "[1,]", "{\"a\":}", "{\"a\" 1}", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul", "\"abc",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "{\"a\":1}x", "[1 2]", "\"tab\there\"", "{'a':1}", "NaN",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func rejectsExcessiveNesting() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(deep.utf8)) }
    }

    @Test func agreesWithFoundationOnRandomDocuments() throws {
        var generator = SplitMix(seed: 42)
        for _ in 0..<300 {
            let value = randomJSON(&generator, depth: 0)
            let bytes = JSONWriter.encode(value)
            // Foundation must accept what we write, and read the same structure back.
            let foundation = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            let again = try JSONSerialization.data(withJSONObject: foundation, options: [.fragmentsAllowed, .sortedKeys])
            let ours = try JSONSerialization.jsonObject(with: Data(JSONWriter.encode(try JSONParser.parse(bytes))), options: [.fragmentsAllowed])
            #expect(try JSONSerialization.data(withJSONObject: ours, options: [.fragmentsAllowed, .sortedKeys]) == again)
        }
    }
}

@Suite struct UTF8Checks {
    @Test func matchesTheStandardLibraryOnRandomBytes() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<5000 {
            let count = Int(generator.next() % 12)
            let bytes = (0..<count).map { _ -> UInt8 in
                let r = generator.next()
                // Bias toward multi-byte lead and continuation bytes.
                return r % 3 == 0 ? UInt8(0x80 + r % 0x80) : UInt8(truncatingIfNeeded: r >> 8)
            }
            let standard = String(validating: bytes, as: UTF8.self) != nil
            #expect((UTF8Validation.firstInvalidOffset(bytes) == nil) == standard, "\(bytes)")
        }
    }

    @Test func base64MatchesFoundation() {
        var generator = SplitMix(seed: 9)
        for count in 0..<40 {
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
        }
    }
}

@Suite struct Timestamps {
    @Test func parsesAndFormatsLikeFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SplitMix(seed: 3)
        for _ in 0..<2000 {
            let millis = Int64(generator.next() % 8_000_000_000_000) - 1_000_000_000_000
            let text = Timestamp.formatRFC3339(milliseconds: millis)
            #expect(Timestamp.parseRFC3339(text) == millis)
            let date = Date(timeIntervalSince1970: Double(millis) / 1000)
            #expect(text == formatter.string(from: date), "\(millis)")
        }
    }

    @Test func honoursOffsetsAndRejectsNonsense() {
        #expect(Timestamp.parseRFC3339("2026-11-29T08:11:30+01:00") == Timestamp.parseRFC3339("2026-11-29T07:11:30Z"))
        #expect(Timestamp.parseRFC3339("2026-11-29T08:11:30.5Z") == Timestamp.parseRFC3339("2026-11-29T08:11:30Z")! + 500)
        for bad in ["yesterday", "2026-02-30T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T08:11:30", "2026-11-29"] {
            #expect(Timestamp.parseRFC3339(bad) == nil, "\(bad)")
        }
    }
}

/// A small deterministic generator for property tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomJSON(_ generator: inout SplitMix, depth: Int) -> JSONValue {
    let pick = generator.next() % (depth > 3 ? 4 : 6)
    switch pick {
    case 0: return .null
    case 1: return .bool(generator.next() % 2 == 0)
    case 2: return .number(String(Int64(bitPattern: generator.next()) % 1_000_000))
    case 3:
        let alphabet: [Character] = ["a", "Z", "\"", "\\", "\n", "é", "東", "🚀", " ", "\u{01}"]
        return .string(String((0..<Int(generator.next() % 8)).map { _ in alphabet[Int(generator.next() % 10)] }))
    case 4: return .array((0..<Int(generator.next() % 4)).map { _ in randomJSON(&generator, depth: depth + 1) })
    default:
        return .object(
            (0..<Int(generator.next() % 4)).map { index in ("k\(index)", randomJSON(&generator, depth: depth + 1)) })
    }
}
