import Foundation
import SwiftProtobuf

/// Deterministic models built in memory, for `steward bench score` and tests: the same shapes as
/// exported scikit-learn models, without files.
public enum SyntheticModels {
    /// A hashed-text logistic regression (`LinearClassifier`, LOGISTIC, two coefficient rows as
    /// skl2onnx writes them) over `HashingVectorizer(n_features:, ngram_range: ngrams)`.
    public static func hashedTextLinear(featureCount: Int = 1 << 18, ngrams: [Int] = [1, 2], seed: UInt64 = 1)
        throws(ScoringError) -> ScoringModel
    {
        var rng = SplitMix64(seed: seed)
        var w = [Float](repeating: 0, count: 2 * featureCount)
        for j in 0..<featureCount {
            let c = Float(rng.nextUniform() * 2 - 1)
            w[j] = -c
            w[featureCount + j] = c
        }
        let node = classifierNode(
            "LinearClassifier",
            [
                .floats("coefficients", w), .floats("intercepts", [0.1, -0.1]), .ints("classlabels_ints", [0, 1]),
                .string("post_transform", "LOGISTIC"), .int("multi_class", 0),
            ])
        let bytes = model([node], inputCount: featureCount)
        let card = card(
            "synthetic-hashed-text", bytes,
            FeatureSpec(text: TextFeatures(fields: ["text"], nFeatures: featureCount, ngramRange: ngrams)))
        return try ScoringModel(card: card, modelBytes: bytes)
    }

    /// A `TreeEnsembleClassifier` of `trees` complete trees of `depth` over `features` numeric fields
    /// `f0`…, with LOGISTIC post-transform (as skl2onnx writes a gradient-boosting classifier).
    /// Training covers are equal within a level, or with `unevenCovers` random per leaf (1…20, each
    /// split's cover the sum of its children's), so that the two sides of a split weigh differently.
    /// Splits are `BRANCH_LEQ`, or with `mixedModes` every third one `BRANCH_LT`; `missingTracksTrue`
    /// sends NaN to every split's true child.
    public static func treeEnsemble(
        trees: Int = 100, depth: Int = 6, features: Int = 20, seed: UInt64 = 2, unevenCovers: Bool = false,
        mixedModes: Bool = false, missingTracksTrue: Bool = false
    ) throws(ScoringError) -> ScoringModel {
        var rng = SplitMix64(seed: seed)
        var treeIDs: [Int64] = [], nodeIDs: [Int64] = [], featureIDs: [Int64] = [], modes: [String] = []
        var values: [Float] = [], trueIDs: [Int64] = [], falseIDs: [Int64] = []
        var classTrees: [Int64] = [], classNodes: [Int64] = [], classIDs: [Int64] = [], weights: [Float] = []
        var covers: [Double] = []
        let nodesPerTree = (1 << (depth + 1)) - 1
        for t in 0..<trees {
            for n in 0..<nodesPerTree {
                treeIDs.append(Int64(t))
                nodeIDs.append(Int64(n))
                let level = Int((n + 1).bitWidth - (n + 1).leadingZeroBitCount) - 1
                covers.append(Double(1 << (depth - level)) * 10)
                if level < depth {
                    featureIDs.append(Int64(rng.next() % UInt64(features)))
                    modes.append(mixedModes && n % 3 == 0 ? "BRANCH_LT" : "BRANCH_LEQ")
                    values.append(Float(rng.nextUniform() * 2 - 1))
                    trueIDs.append(Int64(2 * n + 1))
                    falseIDs.append(Int64(2 * n + 2))
                } else {
                    featureIDs.append(0)
                    modes.append("LEAF")
                    values.append(0)
                    trueIDs.append(0)
                    falseIDs.append(0)
                    classTrees.append(Int64(t))
                    classNodes.append(Int64(n))
                    classIDs.append(0)
                    weights.append(Float((rng.nextUniform() * 2 - 1) * 0.1))
                }
            }
        }
        let missing: [Onnx_AttributeProto] =
            missingTracksTrue ? [.ints("nodes_missing_value_tracks_true", treeIDs.map { _ in 1 })] : []
        let node = classifierNode(
            "TreeEnsembleClassifier",
            missing + [
                .ints("nodes_treeids", treeIDs), .ints("nodes_nodeids", nodeIDs), .ints("nodes_featureids", featureIDs),
                .strings("nodes_modes", modes), .floats("nodes_values", values), .ints("nodes_truenodeids", trueIDs),
                .ints("nodes_falsenodeids", falseIDs), .ints("class_treeids", classTrees),
                .ints("class_nodeids", classNodes), .ints("class_ids", classIDs), .floats("class_weights", weights),
                .ints("classlabels_int64s", [0, 1]), .floats("base_values", [-0.5]),
                .string("post_transform", "LOGISTIC"),
            ])
        if unevenCovers {
            for t in 0..<trees {
                let first = t * nodesPerTree
                for n in (0..<nodesPerTree).reversed() {
                    covers[first + n] =
                        2 * n + 2 < nodesPerTree
                        ? covers[first + 2 * n + 1] + covers[first + 2 * n + 2] : Double(1 + rng.next() % 20)
                }
            }
        }
        let coverText = "[" + covers.map { "\($0)" }.joined(separator: ",") + "]"
        let bytes = model([node], inputCount: features, metadata: [GraphCompiler.coversKey: coverText])
        let numeric = (0..<features).map { NumericFeature(field: "f\($0)") }
        let card = card("synthetic-trees", bytes, FeatureSpec(numeric: numeric))
        return try ScoringModel(card: card, modelBytes: bytes)
    }

    /// An ai.onnx.ml classifier node reading `input`, writing `label` and `probabilities`.
    static func classifierNode(_ opType: String, _ attributes: [Onnx_AttributeProto]) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = opType
        node.domain = "ai.onnx.ml"
        node.input = ["input"]
        node.output = ["label", "probabilities"]
        node.attribute = attributes
        return node
    }

    static func model(_ nodes: [Onnx_NodeProto], inputCount: Int, metadata: [String: String] = [:]) -> [UInt8] {
        var input = Onnx_ValueInfoProto()
        input.name = "input"
        input.type.tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var batch = Onnx_TensorShapeProto.Dimension()
        batch.dimParam = "N"
        var width = Onnx_TensorShapeProto.Dimension()
        width.dimValue = Int64(inputCount)
        input.type.tensorType.shape.dim = [batch, width]
        var output = Onnx_ValueInfoProto()
        output.name = nodes.last!.output.last!
        var m = Onnx_ModelProto()
        m.irVersion = 8
        m.producerName = "steward SyntheticModels"
        var ml = Onnx_OperatorSetIdProto()
        ml.domain = "ai.onnx.ml"
        ml.version = 3
        var core = Onnx_OperatorSetIdProto()
        core.version = 17
        m.opsetImport = [core, ml]
        m.graph.name = "synthetic"
        m.graph.node = nodes
        m.graph.input = [input]
        m.graph.output = [output]
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
            var e = Onnx_StringStringEntryProto()
            e.key = k
            e.value = v
            m.metadataProps.append(e)
        }
        return (try? m.serializedBytes()) ?? []
    }

    static func card(_ name: String, _ bytes: [UInt8], _ features: FeatureSpec) -> ModelCard {
        ModelCard(
            name: name, version: "0", owner: "steward bench", intendedUse: "benchmarks only",
            outOfScopeUses: ["any real decision"], trainingData: "none: random parameters",
            evaluationMetrics: [:], decisionThreshold: 0.5, modelFile: "", sha256: ModelCard.sha256(of: bytes),
            features: features)
    }
}

extension Onnx_AttributeProto {
    static func floats(_ name: String, _ v: [Float]) -> Self {
        var a = Self()
        a.name = name
        a.type = .floats
        a.floats = v
        return a
    }

    static func ints(_ name: String, _ v: [Int64]) -> Self {
        var a = Self()
        a.name = name
        a.type = .ints
        a.ints = v
        return a
    }

    static func int(_ name: String, _ v: Int64) -> Self {
        var a = Self()
        a.name = name
        a.type = .int
        a.i = v
        return a
    }

    static func string(_ name: String, _ v: String) -> Self {
        var a = Self()
        a.name = name
        a.type = .string
        a.s = Data(v.utf8)
        return a
    }

    static func strings(_ name: String, _ v: [String]) -> Self {
        var a = Self()
        a.name = name
        a.type = .strings
        a.strings = v.map { Data($0.utf8) }
        return a
    }
}

/// A small deterministic generator (Steele, Lea & Flood's SplitMix64).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1p-53 }
}
