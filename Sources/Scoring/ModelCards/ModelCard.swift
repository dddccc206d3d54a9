/// A model card: who made the model, for what, on which data, how it scores, which features it
/// reads, and the sha256 of its .onnx file. It travels with every scored record.
///
/// Decoded from YAML (keys in snake_case) by `ModelCard.parse(yaml:)` (Yams) or by any `Decoder`.
public struct ModelCard: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var owner: String
    public var intendedUse: String
    public var outOfScopeUses: [String]
    public var trainingData: String
    public var evaluationMetrics: [String: Double]
    /// Scores at or above the threshold get the positive label.
    public var decisionThreshold: Double
    /// The .onnx file, relative to the card's folder.
    public var modelFile: String
    /// Lower-case hex sha256 of the .onnx file; checked when the model is loaded.
    public var sha256: String
    public var features: FeatureSpec
    /// Labels reported for negative/positive decisions (classifiers); default "0"/"1".
    public var labels: [String]
    public var missingFeaturePolicy: MissingFeaturePolicy

    enum CodingKeys: String, CodingKey {
        case name, version, owner, sha256, features, labels
        case intendedUse = "intended_use"
        case outOfScopeUses = "out_of_scope_uses"
        case trainingData = "training_data"
        case evaluationMetrics = "evaluation_metrics"
        case decisionThreshold = "decision_threshold"
        case modelFile = "model_file"
        case missingFeaturePolicy = "missing_feature_policy"
    }

    public init(
        name: String, version: String, owner: String, intendedUse: String, outOfScopeUses: [String],
        trainingData: String, evaluationMetrics: [String: Double], decisionThreshold: Double, modelFile: String,
        sha256: String, features: FeatureSpec, labels: [String] = ["0", "1"],
        missingFeaturePolicy: MissingFeaturePolicy = .useDefault
    ) {
        self.name = name
        self.version = version
        self.owner = owner
        self.intendedUse = intendedUse
        self.outOfScopeUses = outOfScopeUses
        self.trainingData = trainingData
        self.evaluationMetrics = evaluationMetrics
        self.decisionThreshold = decisionThreshold
        self.modelFile = modelFile
        self.sha256 = sha256
        self.features = features
        self.labels = labels
        self.missingFeaturePolicy = missingFeaturePolicy
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        version = try c.decode(String.self, forKey: .version)
        owner = try c.decode(String.self, forKey: .owner)
        intendedUse = try c.decode(String.self, forKey: .intendedUse)
        outOfScopeUses = try c.decodeIfPresent([String].self, forKey: .outOfScopeUses) ?? []
        trainingData = try c.decode(String.self, forKey: .trainingData)
        evaluationMetrics = try c.decodeIfPresent([String: Double].self, forKey: .evaluationMetrics) ?? [:]
        decisionThreshold = try c.decodeIfPresent(Double.self, forKey: .decisionThreshold) ?? 0.5
        modelFile = try c.decode(String.self, forKey: .modelFile)
        sha256 = try c.decode(String.self, forKey: .sha256)
        features = try c.decode(FeatureSpec.self, forKey: .features)
        labels = try c.decodeIfPresent([String].self, forKey: .labels) ?? ["0", "1"]
        missingFeaturePolicy =
            try c.decodeIfPresent(MissingFeaturePolicy.self, forKey: .missingFeaturePolicy) ?? .useDefault
    }
}

/// What to do with a record that lacks a declared feature field.
public enum MissingFeaturePolicy: String, Codable, Sendable {
    /// Empty text, no categorical feature, the numeric field's declared default.
    case useDefault = "default"
    /// Refuse the record (the pipeline sends it to the dead-letter topic with the reason).
    case deadLetter = "dead_letter"
}

/// The model's input vector, in this order: hashed text block, hashed categorical block, numeric block.
public struct FeatureSpec: Codable, Sendable, Equatable {
    public var text: TextFeatures?
    public var categorical: CategoricalFeatures?
    public var numeric: [NumericFeature]

    public init(text: TextFeatures? = nil, categorical: CategoricalFeatures? = nil, numeric: [NumericFeature] = []) {
        self.text = text
        self.categorical = categorical
        self.numeric = numeric
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        text = try c.decodeIfPresent(TextFeatures.self, forKey: .text)
        categorical = try c.decodeIfPresent(CategoricalFeatures.self, forKey: .categorical)
        numeric = try c.decodeIfPresent([NumericFeature].self, forKey: .numeric) ?? []
    }

    /// Length of the model's input vector.
    public var dimension: Int {
        (text?.nFeatures ?? 0) + (categorical?.nFeatures ?? 0) + numeric.count
    }
}

/// `HashingVectorizer` over one or more text fields (joined with a space, in declared order).
public struct TextFeatures: Codable, Sendable, Equatable {
    public var fields: [String]
    public var nFeatures: Int
    public var ngramRange: [Int]
    public var alternateSign: Bool
    public var norm: HashingNorm
    public var lowercase: Bool

    enum CodingKeys: String, CodingKey {
        case fields, norm, lowercase
        case nFeatures = "n_features"
        case ngramRange = "ngram_range"
        case alternateSign = "alternate_sign"
    }

    public init(
        fields: [String], nFeatures: Int = 1 << 20, ngramRange: [Int] = [1, 1], alternateSign: Bool = true,
        norm: HashingNorm = .l2, lowercase: Bool = true
    ) {
        self.fields = fields
        self.nFeatures = nFeatures
        self.ngramRange = ngramRange
        self.alternateSign = alternateSign
        self.norm = norm
        self.lowercase = lowercase
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fields = try c.decode([String].self, forKey: .fields)
        nFeatures = try c.decodeIfPresent(Int.self, forKey: .nFeatures) ?? 1 << 20
        ngramRange = try c.decodeIfPresent([Int].self, forKey: .ngramRange) ?? [1, 1]
        alternateSign = try c.decodeIfPresent(Bool.self, forKey: .alternateSign) ?? true
        norm = try c.decodeIfPresent(HashingNorm.self, forKey: .norm) ?? .l2
        lowercase = try c.decodeIfPresent(Bool.self, forKey: .lowercase) ?? true
    }
}

/// `FeatureHasher(input_type="dict")` over categorical fields.
public struct CategoricalFeatures: Codable, Sendable, Equatable {
    public var fields: [String]
    public var nFeatures: Int
    public var alternateSign: Bool

    enum CodingKeys: String, CodingKey {
        case fields
        case nFeatures = "n_features"
        case alternateSign = "alternate_sign"
    }

    public init(fields: [String], nFeatures: Int = 1 << 20, alternateSign: Bool = true) {
        self.fields = fields
        self.nFeatures = nFeatures
        self.alternateSign = alternateSign
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fields = try c.decode([String].self, forKey: .fields)
        nFeatures = try c.decodeIfPresent(Int.self, forKey: .nFeatures) ?? 1 << 20
        alternateSign = try c.decodeIfPresent(Bool.self, forKey: .alternateSign) ?? true
    }
}

/// A numeric field, standardized as `(x - mean) / scale` (scikit-learn's `StandardScaler`).
public struct NumericFeature: Codable, Sendable, Equatable {
    public var field: String
    public var mean: Double
    public var scale: Double
    /// Used when the field is missing and the policy is `default`.
    public var `default`: Double

    public init(field: String, mean: Double = 0, scale: Double = 1, default: Double = 0) {
        self.field = field
        self.mean = mean
        self.scale = scale
        self.default = `default`
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        field = try c.decode(String.self, forKey: .field)
        mean = try c.decodeIfPresent(Double.self, forKey: .mean) ?? 0
        scale = try c.decodeIfPresent(Double.self, forKey: .scale) ?? 1
        `default` = try c.decodeIfPresent(Double.self, forKey: .default) ?? 0
    }
}
