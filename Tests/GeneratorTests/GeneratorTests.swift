import JSON
import Pipeline
import Testing

@testable import Generator

/// Decides like a model that reads only the label: positive when `escalated`, `sentiment` or
/// `clicked` is 1, so the test knows each record's decision without the shipped model.
struct LabelDecision: RecordStage {
    let name = "scoring"

    func process(_ record: inout JSONValue, context: RecordContext) throws(Rejection) {
        guard case .object(var members) = record else { return }
        let positive = ["escalated", "sentiment", "clicked"].contains { record[$0] == .number("1") }
        members.append(("scoring", .object([("positive", .bool(positive))])))
        record = .object(members)
    }
}

@Test func seededRandomMatchesTheReferenceXoshiro256StarStar() {
    // From an independent Python transcription of Vigna's xoshiro256** and splitmix64 (seed 42).
    var random = SeededRandom(seed: 42)
    #expect(random.next() == 0x1578_0b2e_0c2e_c716)
    #expect(random.next() == 0x6104_d986_6d11_3a7e)
    #expect(random.next() == 0xae17_5332_39e4_99a1)
}

@Test func integersStayInTheirRangeAndCoverIt() {
    var random = SeededRandom(seed: 1)
    var seen = [Int](repeating: 0, count: 7)
    for _ in 0..<7000 { seen[random.integer(in: 3...9) - 3] += 1 }
    #expect(seen.allSatisfy { (850...1150).contains($0) }, "\(seen)")
}

@Test func plantedIBANsHaveValidCheckDigits() {
    var random = SeededRandom(seed: 5)
    for _ in 0..<200 {
        let iban = String(Words.iban(random: &random).filter { $0 != " " })
        #expect(iban.count == 22 && iban.hasPrefix("DE"))
        // ISO 13616: move the first four characters to the end, letters to numbers (A = 10), mod 97 is 1.
        let rearranged = iban.dropFirst(4) + iban.prefix(4)
        var remainder = 0
        for character in rearranged {
            let value = character.isLetter ? Int(character.asciiValue! - UInt8(ascii: "A")) + 10 : Int(String(character))!
            for digit in String(value) { remainder = (remainder * 10 + Int(String(digit))!) % 97 }
        }
        #expect(remainder == 1, "\(iban)")
    }
}

@Test func aDriftNamesAnAttributeAndAValueOfTheScenario() throws {
    let drift = try Drift(parsing: "region=north:0.2", start: 10, scenario: .chats)
    #expect(drift == Drift(attribute: "region", group: "north", shift: 0.2, start: 10))
    #expect(throws: GeneratorError.self) { try Drift(parsing: "country=jp:0.2", start: 0, scenario: .chats) }
    #expect(throws: GeneratorError.self) { try Drift(parsing: "region=middle:0.2", start: 0, scenario: .chats) }
    #expect(throws: GeneratorError.self) { try Drift(parsing: "region=north", start: 0, scenario: .chats) }
    #expect(throws: GeneratorError.self) { try Drift(parsing: "region=north:0.2", start: -1, scenario: .chats) }
}

@Test func theDecisionRateOfTheDriftedGroupRisesAfterTheStartOnly() throws {
    let drift = Drift(attribute: "region", group: "north", shift: 0.4, start: 4000)
    var generator = RecordGenerator(
        options: .init(scenario: .chats, seed: 3, drift: drift), stages: [LabelDecision()])
    var positives: [Bool: [String: (Int, Int)]] = [false: [:], true: [:]]
    for index in 0..<8000 {
        let record = try JSONParser.parse(try generator.next())
        guard case .string(let region)? = record["region"] else { Issue.record("no region"); return }
        let after = index >= drift.start
        let (hits, total) = positives[after]![region, default: (0, 0)]
        positives[after]![region] = (hits + (record["escalated"] == .number("1") ? 1 : 0), total + 1)
    }
    for (after, groups) in positives {
        for (region, (hits, total)) in groups {
            let expected = region == "north" && after ? 0.7 : 0.3
            #expect(abs(Double(hits) / Double(total) - expected) < 0.05, "\(region) after \(after): \(hits)/\(total)")
        }
    }
}

@Test func malformedRecordsComeEveryNthInTurn() throws {
    var generator = RecordGenerator(
        options: .init(scenario: .clicks, seed: 1, malformedEvery: 10), stages: [LabelDecision()])
    var malformed: [Int] = []
    for index in 0..<40 {
        let line = try generator.next()
        if (try? JSONParser.parse(line))?["country"]?.stringValue == nil { malformed.append(index) }
    }
    #expect(malformed == [9, 19, 29, 39])
}
