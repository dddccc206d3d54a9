import Foundation
import Testing

@testable import Scoring

/// The fast paths (ASCII table tokenizer, hashing from the token buffer, complete-tree layout)
/// against plain reference implementations, on random inputs.
@Suite struct FastPathTests {
    /// Characters that exercise every branch: ASCII word and non-word bytes, case-ignorables,
    /// lowercase expansions (İ), Final_Sigma, letters and numbers outside ASCII, marks, emoji.
    static let alphabet: [String] = [
        "a", "B", "z", "Q", "0", "7", "_", " ", " ", " ", ",", ".", "'", ":", "-", "!", "\n", "^", "`",
        "İ", "Σ", "σ", "ς", "ß", "ẞ", "ﬁ", "é", "É", "日", "本", "½", "٣", "🙂", "\u{301}", "Ω", "Ⱥ", "ǅ", "ʰ",
    ]

    static func randomText(_ rng: inout SplitMix64, maxLength: Int = 40) -> String {
        let length = Int(rng.next() % UInt64(maxLength + 1))
        return (0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
    }

    /// `re.findall(r"(?u)\b\w\w+\b", doc.lower())` written plainly over scalars.
    static func referenceTokens(_ text: String, lowercase: Bool = true) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var lowered: [Unicode.Scalar] = []
        for (i, s) in scalars.enumerated() {
            guard lowercase else {
                lowered.append(s)
                continue
            }
            if s.value == 0x3a3 {
                let before = scalars[..<i].last { !$0.properties.isCaseIgnorable }
                let after = scalars[(i + 1)...].first { !$0.properties.isCaseIgnorable }
                let final = (before?.properties.isCased ?? false) && !(after?.properties.isCased ?? false)
                lowered.append(Unicode.Scalar(final ? 0x3c2 : 0x3c3)!)
            } else {
                lowered.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        var tokens: [String] = []
        var run = String.UnicodeScalarView()
        for s in lowered + [" "] {
            if TextTokenizer.isWord(s) {
                run.append(s)
            } else {
                if run.count >= 2 { tokens.append(String(run)) }
                run = String.UnicodeScalarView()
            }
        }
        return tokens
    }

    static func tokens(_ texts: [String], lowercase: Bool = true) -> [String] {
        var t = TextTokenizer()
        for text in texts {
            var copy = text
            copy.withUTF8 { t.tokenize($0, lowercase: lowercase) }
        }
        return (0..<t.tokenCount).map { t.token($0) }
    }

    @Test func tokenizerMatchesThePlainReferenceOnRandomText() {
        var rng = SplitMix64(seed: 41)
        for trial in 0..<3000 {
            let text = Self.randomText(&rng)
            let lowercase = trial % 5 != 0
            #expect(Self.tokens([text], lowercase: lowercase) == Self.referenceTokens(text, lowercase: lowercase))
        }
    }

    /// ASCII only, so the vector path runs: lengths across block (16) and chunk (64) boundaries,
    /// one-letter runs, underscores, digits, runs of separators.
    static let asciiAlphabet: [String] = ["a", "B", "z", "Q", "0", "7", "_", " ", " ", ",", ".", "'", "\n", "-", "é"]

    static func randomASCIIText(_ rng: inout SplitMix64, maxLength: Int) -> String {
        let length = Int(rng.next() % UInt64(maxLength + 1))
        var s = ""
        while s.utf8.count < length {
            // Words of 1–9 letters between separators, or single random characters.
            if rng.next() % 3 == 0 {
                s += asciiAlphabet[Int(rng.next() % UInt64(asciiAlphabet.count - 1))]
            } else {
                let word = (0..<Int(1 + rng.next() % 9)).map { _ in asciiAlphabet[Int(rng.next() % 7)] }.joined()
                s += word + asciiAlphabet[7 + Int(rng.next() % 7)]
            }
        }
        return s
    }

    @Test func overreadingHashMatchesThePlainHashAtEveryLength() {
        var rng = SplitMix64(seed: 45)
        for length in 0...40 {
            for _ in 0..<50 {
                let bytes = (0..<(length + 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let plain = bytes.withUnsafeBytes { MurmurHash3.hash32(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
                let fast = bytes.withUnsafeBytes { MurmurHash3.hash32(overreading: $0.baseAddress!, count: length) }
                #expect(fast == plain, "length \(length)")
            }
        }
    }

    @Test func fourLaneHashMatchesThePlainHashForKeysUpToEightBytes() {
        var rng = SplitMix64(seed: 46)
        for _ in 0..<2000 {
            // Four keys of 0–12 bytes laid out one after another, 8 readable bytes past the last.
            let counts = (0..<4).map { _ in Int(rng.next() % 13) }
            var starts: [Int] = []
            var ends: [Int] = []
            var at = 0
            for count in counts {
                at += Int(rng.next() % 3)
                starts.append(at)
                ends.append(at + count)
                at += count
            }
            let bytes = (0..<(at + 8)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let lanes = bytes.withUnsafeBytes { raw in
                MurmurHash3.hash32x4(overreading: raw.baseAddress!, starts: starts, ends: ends)
            }
            for j in 0..<4 where counts[j] <= 8 {
                let plain = bytes.withUnsafeBytes { MurmurHash3.hash32(UnsafeRawBufferPointer(rebasing: $0[starts[j]..<ends[j]])) }
                #expect(Int32(bitPattern: lanes[j]) == plain, "lane \(j), \(counts[j]) bytes")
            }
        }
    }

    @Test func asciiVectorPathMatchesThePlainReference() {
        var rng = SplitMix64(seed: 43)
        for trial in 0..<3000 {
            var text = Self.randomASCIIText(&rng, maxLength: 300)
            // Now and then a non-ASCII letter somewhere: the vector path must give up cleanly.
            if trial % 7 == 0 && !text.isEmpty {
                let at = text.index(text.startIndex, offsetBy: Int(rng.next() % UInt64(text.count)))
                text.insert("É", at: at)
            }
            let lowercase = trial % 5 != 0
            #expect(Self.tokens([text], lowercase: lowercase) == Self.referenceTokens(text, lowercase: lowercase), "\(text)")
        }
    }

    @Test func asciiAndOtherFieldsAppendAsIfJoinedWithASpace() {
        var rng = SplitMix64(seed: 44)
        for _ in 0..<1000 {
            let fields = (0..<3).map { k in
                k == 1 && rng.next() % 2 == 0 ? Self.randomText(&rng, maxLength: 12) : Self.randomASCIIText(&rng, maxLength: 70)
            }
            #expect(Self.tokens(fields) == Self.referenceTokens(fields.joined(separator: " ")), "\(fields)")
        }
    }

    /// Every two-byte scalar (the tokenizer's table) in words, alone, doubled and after capitals.
    @Test func everyTwoByteScalarMatchesThePlainReference() {
        for v in UInt32(0x80)..<0x800 {
            let c = String(Character(Unicode.Scalar(v)!))
            for text in ["ab\(c)cd x", "\(c)\(c) \(c)", "A\(c)", "ΑΣ\(c) σ", "\(c)z 7\(c)"] {
                for lowercase in [true, false] {
                    #expect(
                        Self.tokens([text], lowercase: lowercase) == Self.referenceTokens(text, lowercase: lowercase),
                        "U+\(String(v, radix: 16)) in \(text)")
                }
            }
        }
    }

    @Test func tokenizerAppendsFieldsAsIfJoinedWithASpace() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let fields = (0..<3).map { _ in Self.randomText(&rng, maxLength: 12) }
            #expect(Self.tokens(fields) == Self.referenceTokens(fields.joined(separator: " ")))
        }
    }

    @Test func tokenizerReusesItsBuffersAcrossLongAndShortTexts() {
        var t = TextTokenizer()
        let long = String(repeating: "İİ ab ", count: 2000)  // grows the buffers past their first size
        for text in ["hello world", long, "Σσ ok", long + "ΑΣ", "x"] {
            t.removeAll()
            var copy = text
            copy.withUTF8 { t.tokenize($0, lowercase: true) }
            #expect((0..<t.tokenCount).map { t.token($0) } == Self.referenceTokens(text))
        }
    }

    /// HashingVectorizer written plainly: join the n-gram, hash the string, divide.
    static func referenceVector(_ text: String, _ v: HashingVectorizer) -> [Int: Double] {
        let tokens = referenceTokens(text, lowercase: v.lowercase)
        var out: [Int: Double] = [:]
        for size in v.ngramRange.min...v.ngramRange.max where size <= tokens.count {
            for first in 0...(tokens.count - size) {
                let gram = tokens[first..<(first + size)].joined(separator: " ")
                let h = MurmurHash3.hash32(gram)
                let slot = HashedSlot(hash: h, featureCount: v.featureCount, alternateSign: v.alternateSign)
                out[slot.index, default: 0] += slot.sign
            }
        }
        let sum = out.values.reduce(0) { $0 + (v.norm == .l2 ? $1 * $1 : abs($1)) }
        if v.norm != .none && sum != 0 {
            let divisor = v.norm == .l2 ? sum.squareRoot() : sum
            for k in out.keys { out[k]! /= divisor }
        }
        return out
    }

    @Test(arguments: [
        (1 << 12, 1, 2, true, HashingNorm.l2), (1000, 1, 1, false, .l1), (97, 2, 3, true, .none), (1 << 18, 1, 2, true, .l2),
        (1 << 10, 1, 1, false, .l2),
    ])
    func hashedTextMatchesThePlainReference(features: Int, low: Int, high: Int, sign: Bool, norm: HashingNorm) throws {
        let spec = FeatureSpec(
            text: TextFeatures(
                fields: ["t"], nFeatures: features, ngramRange: [low, high], alternateSign: sign, norm: norm))
        let f = try RecordFeaturizer(spec: spec, policy: .useDefault)
        let vectorizer = try #require(f.text)
        var scratch = FeaturizerScratch(dimension: f.dimension)
        var rng = SplitMix64(seed: UInt64(features))
        for _ in 0..<400 {
            let text = rng.next() % 2 == 0 ? Self.randomText(&rng, maxLength: 60) : Self.randomASCIIText(&rng, maxLength: 200)
            try f.featurize(["t": FieldValue.string(text)], into: &scratch)
            var got: [Int: Double] = [:]
            for j in scratch.vector.indices where scratch.vector.value(at: j) != 0 { got[j] = scratch.vector.value(at: j) }
            let expected = Self.referenceVector(text, vectorizer).filter { $0.value != 0 }
            #expect(got == expected, "\(text)")
        }
    }

    /// A random, unbalanced ensemble: each node below the root splits with probability `split` until `depth`.
    static func randomEnsemble(
        _ rng: inout SplitMix64, trees: Int, depth: Int, features: Int, modes: (Int) -> String, missingTrue: Int64,
        split: Double = 0.7
    ) -> Onnx_NodeProto {
        var treeIDs: [Int64] = [], nodeIDs: [Int64] = [], featureIDs: [Int64] = [], modeList: [String] = []
        var values: [Float] = [], trueIDs: [Int64] = [], falseIDs: [Int64] = [], missing: [Int64] = []
        var weightTrees: [Int64] = [], weightNodes: [Int64] = [], weightIDs: [Int64] = [], weights: [Float] = []
        for t in 0..<trees {
            var next: Int64 = 1
            var pending: [(id: Int64, level: Int)] = [(0, 0)]
            while !pending.isEmpty {
                let (id, level) = pending.removeFirst()
                treeIDs.append(Int64(t))
                nodeIDs.append(id)
                missing.append(missingTrue)
                let splits = level < depth && (level == 0 || rng.nextUniform() < split)
                if splits {
                    featureIDs.append(Int64(rng.next() % UInt64(features)))
                    modeList.append(modes(nodeIDs.count))
                    values.append(Float((rng.nextUniform() * 2 - 1).rounded(toPlaces: 1)))
                    trueIDs.append(next)
                    falseIDs.append(next + 1)
                    pending.append((next, level + 1))
                    pending.append((next + 1, level + 1))
                    next += 2
                } else {
                    featureIDs.append(0)
                    modeList.append("LEAF")
                    values.append(0)
                    trueIDs.append(0)
                    falseIDs.append(0)
                    weightTrees.append(Int64(t))
                    weightNodes.append(id)
                    weightIDs.append(0)
                    weights.append(Float(rng.nextUniform() * 2 - 1))
                }
            }
        }
        return SyntheticModels.classifierNode(
            "TreeEnsembleClassifier",
            [
                .ints("nodes_treeids", treeIDs), .ints("nodes_nodeids", nodeIDs), .ints("nodes_featureids", featureIDs),
                .strings("nodes_modes", modeList), .floats("nodes_values", values), .ints("nodes_truenodeids", trueIDs),
                .ints("nodes_falsenodeids", falseIDs), .ints("nodes_missing_value_tracks_true", missing),
                .ints("class_treeids", weightTrees), .ints("class_nodeids", weightNodes), .ints("class_ids", weightIDs),
                .floats("class_weights", weights), .ints("classlabels_int64s", [0, 1]), .floats("base_values", [0.25]),
                .string("post_transform", "LOGISTIC"),
            ])
    }

    static func treeKernel(_ node: Onnx_NodeProto, features: Int) throws -> TreeEnsembleKernel {
        let model = try ONNXModel(serialized: SyntheticModels.model([node], inputCount: features))
        guard model.steps.count == 1, model.steps[0].kind == .trees else { throw ScoringError(.invalidModel, "not trees") }
        return model.treeKernels[0]
    }

    @Test(arguments: [Int64(0), 1])
    func completeTreesSumExactlyLikeTheNodeWalk(missingTrue: Int64) throws {
        var rng = SplitMix64(seed: 17 + UInt64(missingTrue))
        let features = 7
        // 37 trees: the four-at-a-time loop and its tail both run.
        let node = Self.randomEnsemble(
            &rng, trees: 37, depth: 5, features: features, modes: { _ in "BRANCH_LEQ" }, missingTrue: missingTrue)
        let fast = try Self.treeKernel(node, features: features)
        #expect(fast.complete != nil)
        var walk = fast
        walk.complete = nil
        var x = [Double](repeating: 0, count: features)
        var a = [Double](repeating: 0, count: 2)
        var b = [Double](repeating: 0, count: 2)
        for trial in 0..<2000 {
            for j in 0..<features {
                switch rng.next() % 8 {
                case 0: x[j] = .nan
                case 1: x[j] = Double(Float((rng.nextUniform() * 2 - 1).rounded(toPlaces: 1)))  // often on a threshold
                default: x[j] = Double(Float(rng.nextUniform() * 2.2 - 1.1))
                }
            }
            x.withUnsafeBufferPointer { p in
                let row = Row(values: p.baseAddress!, count: features)
                fast.run(row, label: nil, scores: &a)
                walk.run(row, label: nil, scores: &b)
            }
            #expect(a == b, "trial \(trial): \(x)")
        }
    }

    @Test func otherSplitModesAndDeepTreesKeepTheNodeWalk() throws {
        var rng = SplitMix64(seed: 3)
        let mixed = Self.randomEnsemble(
            &rng, trees: 4, depth: 3, features: 3, modes: { $0 % 3 == 0 ? "BRANCH_LT" : "BRANCH_LEQ" }, missingTrue: 0)
        #expect(try Self.treeKernel(mixed, features: 3).complete == nil)
        let deep = Self.randomEnsemble(
            &rng, trees: 1, depth: CompleteTrees.maximumDepth + 1, features: 3, modes: { _ in "BRANCH_LEQ" },
            missingTrue: 0, split: 1)
        let kernel = try Self.treeKernel(deep, features: 3)
        #expect(kernel.maxDepth == CompleteTrees.maximumDepth + 1)
        #expect(kernel.complete == nil)
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let p = Foundation.pow(10, Double(places))
        return (self * p).rounded() / p
    }
}

/// The plain reference for the slot of a hash: `abs(h) % n_features` in 64 bits (with
/// `abs(INT32_MIN)` taken as 2^31), sign from the hash's sign when `alternateSign`, as
/// `sklearn.feature_extraction._hashing_fast.transform` does.
private struct HashedSlot {
    var index: Int
    var sign: Double

    init(hash: Int32, featureCount: Int, alternateSign: Bool) {
        index = Int(Int64(hash).magnitude % UInt64(featureCount))
        sign = alternateSign && hash < 0 ? -1 : 1
    }
}
