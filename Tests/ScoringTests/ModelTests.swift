import Foundation
import Testing

@testable import Scoring

@Suite struct ModelTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func truncatedGarbageAndOversizedModelsAreClearLoadErrors() throws {
        let good = SyntheticModels.model([linearNode()], inputCount: 3)
        _ = try ONNXModel(serialized: good)
        for cut in [1, 7, good.count / 2, good.count - 3] {
            let error = #expect(throws: ScoringError.self) { try ONNXModel(serialized: Array(good.prefix(cut))) }
            #expect(error?.code == .malformedModel || error?.code == .invalidModel)
        }
        let garbage = #expect(throws: ScoringError.self) { try ONNXModel(serialized: [0xff, 0xff, 0xff, 0x01, 0x02]) }
        #expect(garbage?.code == .malformedModel)
        let big = #expect(throws: ScoringError.self) { try ONNXModel(serialized: good, maximumBytes: 10) }
        #expect(big?.code == .modelTooLarge)
        #expect(throws: ScoringError.self) { try ONNXModel(serialized: []) }
    }

    /// The sparse row is rounded to float32 and, for trees, spread into the dense row: evaluating
    /// the same row again, or explaining it, must see the same values.
    @Test func evaluatingARowAgainGivesTheSameScore() throws {
        let trees = try SyntheticModels.treeEnsemble(trees: 5, depth: 3, features: 20)
        var scorer = Scorer(model: trees)
        let record = Dictionary(uniqueKeysWithValues: (0..<20).map { ("f\($0)", FieldValue.number(Double($0) / 7 - 1.3)) })
        let first = try scorer.score(record)
        #expect(scorer.evaluate() == first)
        #expect(try scorer.score(record, explain: 3).score == first)
        let text = try SyntheticModels.hashedTextLinear(featureCount: 1 << 10)
        var textScorer = Scorer(model: text)
        let firstText = try textScorer.score(["text": FieldValue.string("Refund my order, the order was late")])
        #expect(textScorer.evaluate() == firstText)
    }

    @Test func unsupportedOperatorIsNamedAtLoad() {
        var node = linearNode()
        node.opType = "SVMClassifier"
        let bytes = SyntheticModels.model([node], inputCount: 3)
        let error = #expect(throws: ScoringError.self) { try ONNXModel(serialized: bytes) }
        #expect(error?.code == .unsupportedOperator)
        #expect(error?.message.contains("SVMClassifier") == true)
    }

    @Test func hashMismatchIsRejected() throws {
        let bytes = SyntheticModels.model([linearNode()], inputCount: 3)
        var card = SyntheticModels.card("x", bytes, FeatureSpec(numeric: ["a", "b", "c"].map { NumericFeature(field: $0) }))
        _ = try ScoringModel(card: card, modelBytes: bytes)
        card.sha256 = String(repeating: "0", count: 64)
        let error = #expect(throws: ScoringError.self) { try ScoringModel(card: card, modelBytes: bytes) }
        #expect(error?.code == .hashMismatch)
    }

    @Test func linearClassifierScoresAndExplainsExactly() throws {
        let bytes = SyntheticModels.model([linearNode()], inputCount: 3)
        let card = SyntheticModels.card("x", bytes, FeatureSpec(numeric: ["a", "b", "c"].map { NumericFeature(field: $0) }))
        var scorer = Scorer(model: try ScoringModel(card: card, modelBytes: bytes))
        let record: [String: FieldValue] = ["a": .number(1), "b": .number(2), "c": .number(-1)]
        let result = try scorer.score(record, explain: 2)
        let margin: Double = -1.875  // 0.5·1 − 0.25·2 + 2·(−1) + 0.125
        let expected: Double = 1 / (1 + exp(-margin))
        #expect(abs(result.score - expected) < 1e-15)
        #expect(result.attributions == [Attribution(feature: "c", contribution: -2), Attribution(feature: "a", contribution: 0.5)])
        #expect(result.label == "0")
    }

    /// Shapley values by enumerating subsets, with the path-dependent value function
    /// v(S) = expected tree output when features outside S follow both children by cover.
    func bruteForceShap(_ k: TreeEnsembleKernel, _ x: [Double], target: Int) -> [Double] {
        let covers = k.covers!
        func value(_ n: Int, _ s: Set<Int>) -> Double {
            let node = k.nodes[n]
            if node.mode == .leaf { return k.leafValue(n, target: target) }
            let f = Int(node.feature)
            let t = Int(node.trueChild)
            let e = Int(node.falseChild)
            if s.contains(f) { return value(node.goesTrue(x[f]) ? t : e, s) }
            return (covers[t] * value(t, s) + covers[e] * value(e, s)) / covers[n]
        }
        func v(_ s: Set<Int>) -> Double { k.roots.map { value(Int($0), s) }.reduce(0, +) }
        let m = x.count
        var phi = [Double](repeating: 0, count: m)
        func factorial(_ n: Int) -> Double { n <= 1 ? 1 : Double(n) * factorial(n - 1) }
        for i in 0..<m {
            for mask in 0..<(1 << m) where mask & (1 << i) == 0 {
                let s = Set((0..<m).filter { mask & (1 << $0) != 0 })
                let w = factorial(s.count) * factorial(m - s.count - 1) / factorial(m)
                phi[i] += w * (v(s.union([i])) - v(s))
            }
        }
        return phi
    }

    @Test(arguments: [false, true]) func treeSHAPEqualsBruteForceShapleyValues(unevenCovers: Bool) throws {
        // Uneven covers weigh a split's two sides differently, as trained trees do.
        let model = try SyntheticModels.treeEnsemble(
            trees: 5, depth: 4, features: 6, seed: 11, unevenCovers: unevenCovers)
        guard case .trees(let k, let target)? = model.onnx.explainer else {
            Issue.record("tree model must be explainable")
            return
        }
        var scorer = Scorer(model: model)
        var rng = SplitMix64(seed: 5)
        for _ in 0..<20 {
            let x = (0..<6).map { _ in Double(Float(rng.nextUniform() * 2 - 1)) }
            var record: [String: FieldValue] = [:]
            for (i, v) in x.enumerated() { record["f\(i)"] = .number(v) }
            _ = try scorer.score(record)
            let explained = scorer.contributions()
            let (values, base) = try #require(explained)
            var phi = [Double](repeating: 0, count: 6)
            for (i, c) in values { phi[i] = c }
            let expected = bruteForceShap(k, x, target: target)
            for i in 0..<6 { #expect(abs(phi[i] - expected[i]) < 1e-12) }
            // Local accuracy: base + sum(phi) is the raw margin.
            let p = try scorer.score(record)
            let margin = base + phi.reduce(0, +)
            #expect(abs(1 / (1 + exp(-margin)) - p) < 1e-12)
        }
    }

    /// The pattern and leaf tables give the recursion's values on trees with repeated features,
    /// uneven covers and missing values; each method is used exactly where the trees allow it.
    /// Depth 3 also with mixed split rules (the pattern tables' general decision) and with NaN
    /// going to the true child (`BRANCH_LEQ` as `!(x > t)`).
    @Test(arguments: [
        (3, false, TreeSHAP.Method.patternTables, 0), (3, true, .patternTables, 1), (3, true, .patternTables, 2),
        (3, true, .leafTables, 0), (6, true, .patternTables, 0), (8, true, .leafTables, 0), (12, true, .leafTables, 0),
    ])
    func treeSHAPTablesEqualTheRecursion(depth: Int, unevenCovers: Bool, fastest: TreeSHAP.Method, rules: Int) throws {
        let model = try SyntheticModels.treeEnsemble(
            trees: 7, depth: depth, features: 9, seed: UInt64(depth), unevenCovers: unevenCovers,
            mixedModes: rules == 1, missingTracksTrue: rules == 2)
        guard case .trees(let k, let target)? = model.onnx.explainer else {
            Issue.record("tree model must be explainable")
            return
        }
        var tables = TreeSHAP(maxDepth: k.maxDepth, fastest: fastest)
        var recursion = TreeSHAP(maxDepth: k.maxDepth, fastest: .recursion)
        let splits = k.nodes.filter { $0.mode != .leaf }
        var rng = SplitMix64(seed: 17)
        for _ in 0..<30 {
            var x = (0..<9).map { _ in Double(Float(rng.nextUniform() * 2 - 1)) }
            // Values exactly on thresholds, where `<` and `<=` part ways.
            for _ in 0..<3 {
                let split = splits[Int(rng.next() % UInt64(splits.count))]
                x[Int(split.feature)] = split.threshold
            }
            x[Int(rng.next() % 9)] = .nan
            var fast = [Double](repeating: 0, count: k.featureCount)
            var slow = fast
            let (a, b) = x.withUnsafeBufferPointer { p in
                let row = Row(values: p.baseAddress!, count: p.count)
                return (
                    tables.explain(k, covers: k.covers!, target: target, x: row, phi: &fast),
                    recursion.explain(k, covers: k.covers!, target: target, x: row, phi: &slow)
                )
            }
            #expect(a == b)
            for i in 0..<fast.count { #expect(abs(fast[i] - slow[i]) <= 1e-12 * max(1, abs(slow[i]))) }
        }
        // Depth 3 has 7 splits per tree (pattern tables); depth 6, 63 (past them: leaf tables);
        // depth 12 up to 9 · 2^8 entries per leaf for 4,096 leaves a tree (past those: recursion).
        let expected: TreeSHAP.Method = depth == 3 ? fastest : depth == 12 ? .recursion : .leafTables
        #expect(tables.method == expected)
        #expect(recursion.method == .recursion)
    }

    @Test func shippedModelsLoadWithTheirCards() throws {
        for name in ["chat-escalation", "finance-sentiment", "click-probability"] {
            let path = Self.root.appendingPathComponent("Models/\(name).yaml").path
            let model = try ScoringModel.load(cardPath: path) { file in
                guard let data = FileManager.default.contents(atPath: file) else { throw CocoaError(.fileReadNoSuchFile) }
                return Array(data)
            }
            #expect(model.card.name == name)
            #expect(model.onnx.isExplainable)
            #expect(!model.card.trainingData.isEmpty)
        }
    }

    @Test func cardYAMLSubsetAndErrors() throws {
        let yaml = """
            # comment
            name: "n"
            version: "1.0"
            owner: o  # trailing comment
            intended_use: 'it''s fine'
            out_of_scope_uses:
              - "a"
              - b
            training_data: t
            evaluation_metrics: {auc: 0.5, n: 3}
            model_file: m.onnx
            sha256: abc
            features:
              numeric:
                - field: x
                  mean: 1.5
                - {field: y, scale: 2}
            """
        let card = try ModelCard.parse(yaml: yaml)
        #expect(card.intendedUse == "it's fine")
        #expect(card.outOfScopeUses == ["a", "b"])
        #expect(card.evaluationMetrics == ["auc": 0.5, "n": 3])
        #expect(card.features.numeric == [NumericFeature(field: "x", mean: 1.5), NumericFeature(field: "y", scale: 2)])
        #expect(card.decisionThreshold == 0.5)
        let bad = #expect(throws: ScoringError.self) { try ModelCard.parse(yaml: "name: a\n  version: b\n") }
        #expect(bad?.message.contains("2:") == true)
        let missing = #expect(throws: ScoringError.self) { try ModelCard.parse(yaml: "name: a\n") }
        #expect(missing?.message.contains("version") == true)
    }

    func linearNode() -> Onnx_NodeProto {
        SyntheticModels.classifierNode(
            "LinearClassifier",
            [
                .floats("coefficients", [0.5, -0.25, 2]), .floats("intercepts", [0.125]),
                .ints("classlabels_ints", [0, 1]), .string("post_transform", "LOGISTIC"),
            ])
    }
}
