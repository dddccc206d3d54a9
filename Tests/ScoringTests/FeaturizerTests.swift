import Testing

@testable import Scoring

@Suite struct FeaturizerTests {
    @Test(arguments: [
        ("", Int32(0)), ("a", 1_009_084_850), ("ab", -1_681_926_305), ("abc", -1_277_324_294),
        ("abcd", 1_139_631_978), ("hello world", 1_586_663_183), ("café", 605_818_632), ("日本語", -1_515_949_417),
    ])
    func murmurHashMatchesScikitLearn(text: String, expected: Int32) {
        #expect(MurmurHash3.hash32(text) == expected)
    }

    func tokens(_ text: String) -> [String] {
        var t = TextTokenizer()
        var copy = text
        copy.withUTF8 { t.tokenize($0, lowercase: true) }
        return (0..<t.tokenCount).map { t.token($0) }
    }

    @Test func tokenizerMatchesScikitLearnAnalyzerOnNonASCII() {
        // Expected lists printed by HashingVectorizer().build_analyzer() (CPython 3.11).
        #expect(
            tokens("İstanbul ΣΟΦΟΣ ΟΔΟΣ. Straße ﬁne a_b x 42 ½½ café!") == [
                "stanbul", "\u{3c3}\u{3bf}\u{3c6}\u{3bf}\u{3c2}", "\u{3bf}\u{3b4}\u{3bf}\u{3c2}", "stra\u{df}e",
                "\u{fb01}ne", "a_b", "42", "\u{bd}\u{bd}", "caf\u{e9}",
            ])
        #expect(tokens("Hello, WORLD! ΑΣ ΣΑ Σ") == ["hello", "world", "\u{3b1}\u{3c2}", "\u{3c3}\u{3b1}"])
    }

    @Test func tokenizerDropsSingleCharacterWords() {
        #expect(tokens("a b cd e") == ["cd"])
        #expect(tokens("") == [])
        #expect(tokens("x") == [])
    }

    @Test func hashingVectorizerSumsDuplicatesAndNormalizes() throws {
        let spec = FeatureSpec(text: TextFeatures(fields: ["t"], nFeatures: 1 << 20, ngramRange: [1, 2]))
        let f = try RecordFeaturizer(spec: spec, policy: .useDefault)
        var scratch = FeaturizerScratch(dimension: f.dimension)
        try f.featurize(["t": FieldValue.string("spam spam spam eggs")], into: &scratch)
        let values = scratch.vector.values
        // Unigrams spam(x3), eggs; bigrams "spam spam"(x2), "spam eggs".
        let squares = values.map { $0 * $0 }.reduce(0, +)
        #expect(abs(squares - 1) < 1e-12)
        #expect(values.count == 4)
        #expect(Set(values.map { abs($0) * 15.0.squareRoot() }.map { ($0 * 1e9).rounded() / 1e9 }) == [3, 1, 2, 1])
    }

    /// Explained text slots are named from the n-gram hashes kept at featurization: every n-gram of
    /// the text (1–3 words, joined across punctuation, collisions in a small table) whose hash lands
    /// in a named slot is in that slot's name, and nothing else is.
    @Test func textSlotsAreNamedByEveryNgramThatHashesThere() throws {
        let spec = FeatureSpec(text: TextFeatures(fields: ["t"], nFeatures: 64, ngramRange: [1, 3]))
        let f = try RecordFeaturizer(spec: spec, policy: .useDefault)
        var scratch = FeaturizerScratch(dimension: f.dimension)
        let text = "Refund now, please! The manager said: refund NOW or café closes; spam spam eggs"
        try f.featurize(["t": FieldValue.string(text)], into: &scratch)
        let words = tokens(text)
        var grams: [String] = []
        for size in 1...3 where size <= words.count {
            for first in 0...(words.count - size) { grams.append(words[first..<(first + size)].joined(separator: " ")) }
        }
        func slot(_ gram: String) -> Int { Int(Int64(MurmurHash3.hash32(gram)).magnitude % 64) }
        let slots = Array(Set(grams.map(slot))).sorted()
        let names = f.featureNames(of: slots, record: ["t": FieldValue.string(text)], scratch: scratch)
        for (s, name) in zip(slots, names) {
            var expected: [String] = []
            for gram in grams where slot(gram) == s && !expected.contains(gram) { expected.append(gram) }
            #expect(name == expected.joined(separator: " | "))
        }
    }

    @Test func dictHasherNamesFieldEqualsValue() throws {
        let spec = FeatureSpec(categorical: CategoricalFeatures(fields: ["country", "n"], nFeatures: 1 << 20))
        let f = try RecordFeaturizer(spec: spec, policy: .useDefault)
        var scratch = FeaturizerScratch(dimension: f.dimension)
        let record: [String: FieldValue] = ["country": .string("de"), "n": .number(2.5)]
        try f.featurize(record, into: &scratch)
        let h = MurmurHash3.hash32("country=de")
        let slot = Int(Int64(h).magnitude % (1 << 20))
        #expect(scratch.vector.value(at: slot) == (h < 0 ? -1 : 1))
        #expect(f.featureName(of: slot, record: record, scratch: scratch) == "country=de")
    }

    @Test func missingFeaturePolicy() throws {
        let spec = FeatureSpec(numeric: [NumericFeature(field: "x", mean: 1, scale: 2, default: 5)])
        let lenient = try RecordFeaturizer(spec: spec, policy: .useDefault)
        var scratch = FeaturizerScratch(dimension: 1)
        try lenient.featurize([String: FieldValue](), into: &scratch)
        #expect(scratch.vector.value(at: 0) == 2)
        let strict = try RecordFeaturizer(spec: spec, policy: .deadLetter)
        #expect(throws: ScoringError.self) { try strict.featurize([String: FieldValue](), into: &scratch) }
        #expect(throws: ScoringError.self) { try lenient.featurize(["x": FieldValue.string("abc")], into: &scratch) }
    }

    @Test func sha256KnownAnswers() {
        #expect(ModelCard.sha256(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ModelCard.sha256(of: []) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = [UInt8](repeating: 0x61, count: 1000)
        #expect(ModelCard.sha256(of: long) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
