import Foundation

/// Which model produced a score: travels with every scored record and audit entry.
public struct ModelIdentity: Sendable, Equatable, Codable {
    public var name: String
    public var version: String
    public var sha256: String
}

/// One feature's share of a score, with a readable name (the n-gram, `field=value`, or numeric field).
public struct Attribution: Sendable, Equatable {
    public var feature: String
    public var contribution: Double

    public init(feature: String, contribution: Double) {
        self.feature = feature
        self.contribution = contribution
    }
}

/// A scored record.
public struct ScoreResult: Sendable, Equatable {
    /// Positive-class probability for classifiers, the prediction for regressors.
    public var score: Double
    /// The card's positive label when `score >= decision_threshold`, else its negative label.
    public var label: String
    /// Top-k attributions by absolute contribution, largest first (empty when not requested or not explainable).
    /// Linear models: coefficient × feature value (log-odds for logistic models). Tree ensembles:
    /// path-dependent TreeSHAP values of the ensemble's raw (margin) output.
    public var attributions: [Attribution]
    public var model: ModelIdentity
}

/// A model card with its verified, compiled ONNX model and featurizer. Immutable and shareable.
public struct ScoringModel: Sendable {
    public let card: ModelCard
    public let onnx: ONNXModel
    public let featurizer: RecordFeaturizer

    public var identity: ModelIdentity { ModelIdentity(name: card.name, version: card.version, sha256: card.sha256) }

    /// Checks the model bytes against the card's sha256, compiles them, and checks the card's
    /// feature dimension against the model's input.
    public init(card: ModelCard, modelBytes: [UInt8], maximumBytes: Int = ONNXModel.defaultMaximumBytes) throws(ScoringError) {
        guard modelBytes.count <= maximumBytes else {
            throw ScoringError(
                .modelTooLarge, "model file is \(modelBytes.count) bytes, above the limit of \(maximumBytes)")
        }
        let digest = ModelCard.sha256(of: modelBytes)
        guard digest == card.sha256.lowercased() else {
            throw ScoringError(
                .hashMismatch, "model file sha256 is \(digest) but card '\(card.name)' declares \(card.sha256)")
        }
        let onnx = try ONNXModel(serialized: modelBytes, maximumBytes: maximumBytes)
        let featurizer = try RecordFeaturizer(spec: card.features, policy: card.missingFeaturePolicy)
        guard featurizer.dimension == onnx.inputCount else {
            throw ScoringError(
                .invalidCard,
                "card features make a row of \(featurizer.dimension) values but the model reads \(onnx.inputCount)")
        }
        guard card.labels.count == 2 else { throw ScoringError(.invalidCard, "labels must list [negative, positive]") }
        self.card = card
        self.onnx = onnx
        self.featurizer = featurizer
    }

    /// Reads a card file and the .onnx it names (relative to the card's folder); `readFile` does the
    /// I/O so this module stays pure.
    public static func load(
        cardPath: String, maximumBytes: Int = ONNXModel.defaultMaximumBytes, readFile: (String) throws -> [UInt8]
    ) throws(ScoringError) -> ScoringModel {
        let cardData: [UInt8]
        do { cardData = try readFile(cardPath) } catch {
            throw ScoringError(.invalidCard, "cannot read model card \(cardPath)")
        }
        let card = try ModelCard.parse(yaml: String(decoding: cardData, as: UTF8.self))
        let folder = cardPath.lastIndex(of: "/").map { String(cardPath[...$0]) } ?? ""
        let modelPath = card.modelFile.hasPrefix("/") ? card.modelFile : folder + card.modelFile
        let modelData: [UInt8]
        do { modelData = try readFile(modelPath) } catch {
            throw ScoringError(.malformedModel, "cannot read model file \(modelPath)")
        }
        guard modelData.count <= maximumBytes else {
            throw ScoringError(
                .modelTooLarge, "model file \(modelPath) is \(modelData.count) bytes, above the limit of \(maximumBytes)")
        }
        return try ScoringModel(card: card, modelBytes: modelData, maximumBytes: maximumBytes)
    }
}

/// Scores records with one model, reusing its buffers: make one per worker thread.
///
/// `score(_:)` allocates nothing once warm (featurize into a reused sparse row, run the compiled
/// graph into a reused workspace); `score(_:explain:)` adds names and attributions.
public struct Scorer: Sendable {
    public let model: ScoringModel
    public private(set) var scratch: FeaturizerScratch
    private var workspace: [Double]
    private var phi: [Double]
    private var shap: TreeSHAP?
    private let positiveIndex: Int

    public init(model: ScoringModel) {
        self.model = model
        scratch = FeaturizerScratch(dimension: model.featurizer.dimension)
        workspace = model.onnx.makeWorkspace()
        phi = []
        if case .trees(let k, _) = model.onnx.explainer { shap = TreeSHAP(maxDepth: k.maxDepth) }
        positiveIndex = model.onnx.scoreCount >= 2 ? 1 : 0
    }

    /// The score of `record`: the hot path.
    public mutating func score<R: FeatureRecord>(_ record: R) throws(ScoringError) -> Double {
        try featurize(record)
        return evaluate()
    }

    /// Featurizes `record` into `scratch.vector`, exactly as the card's scikit-learn transformers would.
    public mutating func featurize<R: FeatureRecord>(_ record: R) throws(ScoringError) {
        try model.featurizer.featurize(record, into: &scratch)
    }

    /// Runs the model on the row last featurized (first rounded to float32 when the model reads float32).
    public mutating func evaluate() -> Double {
        if model.onnx.inputIsFloat32 { scratch.vector.roundToFloat32() }
        let offset = model.onnx.run(&scratch.vector, workspace: &workspace)
        return workspace[offset + positiveIndex]
    }

    /// Score, label, top-`explain` attributions and model identity of `record`.
    public mutating func score<R: FeatureRecord>(_ record: R, explain k: Int) throws(ScoringError) -> ScoreResult {
        let s = try score(record)
        let label = s >= model.card.decisionThreshold ? model.card.labels[1] : model.card.labels[0]
        var attributions: [Attribution] = []
        if k > 0 { attributions = topAttributions(record, k) }
        return ScoreResult(score: s, label: label, attributions: attributions, model: model.identity)
    }

    /// Contribution of every input slot of the row last featurized (margin space), and the base value.
    public mutating func contributions() -> (values: [(index: Int, contribution: Double)], base: Double)? {
        switch model.onnx.explainer {
        case .linear(let k, let target)?:
            let values = scratch.vector.withEntries { indices, x in
                (0..<indices.count).compactMap { n -> (Int, Double)? in
                    let c = k.weight(target: target, feature: indices[n]) * x[n]
                    return c == 0 ? nil : (indices[n], c)
                }
            }
            return (values, k.intercept(target))
        case .trees(let k, let target)?:
            if phi.count != k.featureCount { phi = Array(repeating: 0, count: k.featureCount) }
            for i in 0..<phi.count { phi[i] = 0 }
            var base = 0.0
            scratch.vector.materializeDense()
            scratch.vector.withDenseStorage { x in
                let row = Row(values: x.baseAddress!, count: x.count)
                base = shap!.explain(k, covers: k.covers!, target: target, x: row, phi: &phi)
            }
            var values: [(index: Int, contribution: Double)] = []
            for (j, c) in phi.enumerated() where c != 0 { values.append((j, c)) }
            return (values, base)
        case nil:
            return nil
        }
    }

    private mutating func topAttributions<R: FeatureRecord>(_ record: R, _ k: Int) -> [Attribution] {
        var top = TopContributions(k)
        switch model.onnx.explainer {
        case .linear(let kernel, let target)?:
            // Straight from the row's entries: no list of every contribution.
            scratch.vector.withEntries { indices, x in
                for n in 0..<indices.count {
                    let c = kernel.weight(target: target, feature: indices[n]) * x[n]
                    if c != 0 { top.offer(indices[n], c) }
                }
            }
        case .trees?:
            guard let (values, _) = contributions() else { return [] }
            for (index, c) in values { top.offer(index, c) }
        case nil:
            return []
        }
        let names = model.featurizer.featureNames(of: top.entries.map(\.index), record: record, scratch: scratch)
        return zip(top.entries, names).map { Attribution(feature: $1, contribution: $0.contribution) }
    }
}

/// The k largest contributions by magnitude (ties: the lower index first), kept in order while
/// scanning: k is a handful, the contributions up to thousands.
struct TopContributions {
    let k: Int
    private(set) var entries: [(index: Int, contribution: Double)] = []

    init(_ k: Int) {
        self.k = k
        entries.reserveCapacity(k + 1)
    }

    private static func before(_ a: (index: Int, contribution: Double), _ b: (index: Int, contribution: Double)) -> Bool {
        abs(a.contribution) != abs(b.contribution) ? abs(a.contribution) > abs(b.contribution) : a.index < b.index
    }

    mutating func offer(_ index: Int, _ contribution: Double) {
        guard k > 0 else { return }
        let value = (index: index, contribution: contribution)
        if entries.count == k, !Self.before(value, entries[k - 1]) { return }
        var slot = entries.count
        while slot > 0, Self.before(value, entries[slot - 1]) { slot -= 1 }
        entries.insert(value, at: slot)
        if entries.count > k { entries.removeLast() }
    }
}
