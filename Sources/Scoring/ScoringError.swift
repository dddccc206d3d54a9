/// Every failure of the scoring engine: a code to branch on and a message for people.
public struct ScoringError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        /// The model file cannot be parsed (malformed, truncated) or is too large.
        public static let malformedModel = Code(name: "malformed_model")
        public static let modelTooLarge = Code(name: "model_too_large")
        /// The graph uses an operator or attribute this interpreter does not implement.
        public static let unsupportedOperator = Code(name: "unsupported_operator")
        /// The graph is well-formed protobuf but not a valid model (missing initializer, bad shapes).
        public static let invalidModel = Code(name: "invalid_model")
        /// The card is malformed or disagrees with the model (hash, dimension).
        public static let invalidCard = Code(name: "invalid_card")
        public static let hashMismatch = Code(name: "hash_mismatch")
        /// A record lacks a declared feature and the card's policy is `dead_letter`.
        public static let missingFeature = Code(name: "missing_feature")
        /// A record's field has the wrong type.
        public static let invalidFeature = Code(name: "invalid_feature")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
