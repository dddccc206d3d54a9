/// The `scoring:` section of a topology.
///
/// ```yaml
/// scoring:
///   model: Models/chat-escalation.yaml   # model card; the .onnx sits next to it
///   explain: 3                           # top-k attributions per record (0 = none)
///   text_fields: [message]               # optional: read the card's text from these record fields
///   missing_feature_policy: dead_letter  # optional: overrides the card (default | dead_letter)
/// ```
public struct ScoringConfig: Codable, Sendable, Equatable {
    public var model: String
    public var explain: Int
    public var textFields: [String]?
    public var missingFeaturePolicy: MissingFeaturePolicy?

    enum CodingKeys: String, CodingKey {
        case model, explain
        case textFields = "text_fields"
        case missingFeaturePolicy = "missing_feature_policy"
    }

    public init(model: String, explain: Int = 3, textFields: [String]? = nil, missingFeaturePolicy: MissingFeaturePolicy? = nil) {
        self.model = model
        self.explain = explain
        self.textFields = textFields
        self.missingFeaturePolicy = missingFeaturePolicy
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        explain = try c.decodeIfPresent(Int.self, forKey: .explain) ?? 3
        textFields = try c.decodeIfPresent([String].self, forKey: .textFields)
        missingFeaturePolicy = try c.decodeIfPresent(MissingFeaturePolicy.self, forKey: .missingFeaturePolicy)
    }
}

extension ScoringModel {
    /// Loads the card named by a topology's `scoring:` section (path relative to `baseDirectory`
    /// when not absolute) and applies the section's overrides.
    public static func load(
        config: ScoringConfig, baseDirectory: String = ".", readFile: (String) throws -> [UInt8]
    ) throws(ScoringError) -> ScoringModel {
        guard config.explain >= 0 else { throw ScoringError(.invalidCard, "scoring.explain must be >= 0") }
        let path = config.model.hasPrefix("/") ? config.model : baseDirectory + "/" + config.model
        let loaded = try load(cardPath: path, readFile: readFile)
        guard config.textFields != nil || config.missingFeaturePolicy != nil else { return loaded }
        var card = loaded.card
        if let fields = config.textFields {
            guard card.features.text != nil else {
                throw ScoringError(.invalidCard, "scoring.text_fields given but card '\(card.name)' has no text features")
            }
            card.features.text!.fields = fields
        }
        if let policy = config.missingFeaturePolicy { card.missingFeaturePolicy = policy }
        return try ScoringModel(compiled: loaded.onnx, card: card)
    }

    /// Re-pairs an already verified model with an adjusted card (same model file).
    init(compiled onnx: ONNXModel, card: ModelCard) throws(ScoringError) {
        self.card = card
        self.onnx = onnx
        self.featurizer = try RecordFeaturizer(spec: card.features, policy: card.missingFeaturePolicy)
    }
}
