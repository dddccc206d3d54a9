/// One field's value as the featurizer reads it.
public enum FieldValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
}

/// A record the scorer can read fields from (the pipeline adapts its JSON record to this).
public protocol FeatureRecord {
    /// The value of a top-level field, or nil when it is absent or null.
    func fieldValue(_ field: String) -> FieldValue?

    /// Calls `body` with the UTF-8 bytes of field `field` when `fieldValue(field)` is a string,
    /// and says which case it was. The default goes through `fieldValue`; a record holding its
    /// strings can lend their bytes in place (`FieldValue.withUTF8(of:_:)`), which saves the text
    /// featurizer a reference-count increment and decrement per record.
    func withUTF8(ofField field: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> StringFieldRead
}

/// What `FeatureRecord.withUTF8(ofField:_:)` found.
public enum StringFieldRead: Sendable, Equatable {
    /// A string: `body` was called with its bytes.
    case read
    /// Absent or null (`fieldValue` is nil).
    case missing
    /// A number or bool.
    case notAString
}

extension FeatureRecord {
    public func withUTF8(ofField field: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> StringFieldRead {
        FieldValue.withUTF8(of: fieldValue(field), body)
    }
}

extension FieldValue {
    /// `withUTF8(ofField:_:)` for a field whose value is `value`.
    public static func withUTF8(of value: FieldValue?, _ body: (UnsafeBufferPointer<UInt8>) -> Void) -> StringFieldRead {
        switch value {
        case .string(let s):
            withUTF8(of: s, body)
            return .read
        case nil: return .missing
        case .some: return .notAString
        }
    }

    /// Calls `body` with the UTF-8 bytes of `text`, in place when its storage is contiguous
    /// (native strings), else from a copy.
    @inline(__always)
    public static func withUTF8(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if text.utf8.withContiguousStorageIfAvailable(body) == nil {
            var copy = text
            copy.withUTF8(body)
        }
    }
}

extension Dictionary: FeatureRecord where Key == String, Value == FieldValue {
    public func fieldValue(_ field: String) -> FieldValue? { self[field] }
}

/// Turns a record into the model's input vector as the card declares it, bit-exact with the
/// scikit-learn transformers that produced the training matrix.
public struct RecordFeaturizer: Sendable {
    public let spec: FeatureSpec
    public let policy: MissingFeaturePolicy
    let text: HashingVectorizer?
    /// `spec.text?.fields`, or empty.
    let textFields: [String]
    let categorical: DictFeatureHasher?
    let categoricalOffset: Int
    let numericOffset: Int

    public init(spec: FeatureSpec, policy: MissingFeaturePolicy) throws(ScoringError) {
        self.spec = spec
        self.policy = policy
        if let t = spec.text {
            guard t.ngramRange.count == 2, t.ngramRange[0] >= 1, t.ngramRange[0] <= t.ngramRange[1] else {
                throw ScoringError(.invalidCard, "features.text.ngram_range must be [min, max] with 1 <= min <= max")
            }
            guard t.nFeatures >= 1 else { throw ScoringError(.invalidCard, "features.text.n_features must be >= 1") }
            text = HashingVectorizer(
                featureCount: t.nFeatures, ngramRange: (t.ngramRange[0], t.ngramRange[1]),
                alternateSign: t.alternateSign, norm: t.norm, lowercase: t.lowercase)
        } else {
            text = nil
        }
        textFields = spec.text?.fields ?? []
        if let c = spec.categorical {
            guard c.nFeatures >= 1 else {
                throw ScoringError(.invalidCard, "features.categorical.n_features must be >= 1")
            }
            categorical = DictFeatureHasher(featureCount: c.nFeatures, alternateSign: c.alternateSign)
        } else {
            categorical = nil
        }
        for n in spec.numeric where !(n.scale.isFinite && n.scale != 0) {
            throw ScoringError(.invalidCard, "features.numeric \(n.field): scale must be finite and non-zero")
        }
        categoricalOffset = spec.text?.nFeatures ?? 0
        numericOffset = categoricalOffset + (spec.categorical?.nFeatures ?? 0)
    }

    public var dimension: Int { spec.dimension }

    /// Writes the features of `record` into `scratch.vector` (cleared first).
    public func featurize<R: FeatureRecord>(_ record: R, into scratch: inout FeaturizerScratch) throws(ScoringError) {
        scratch.vector.clear()
        if let text {
            scratch.tokens.removeAll()
            // By index into a stored array: binding `spec.text` would copy it (and retain its arrays).
            let lowercase = text.lowercase
            for k in textFields.indices {
                let field = textFields[k]
                switch record.withUTF8(ofField: field, { scratch.tokens.tokenize($0, lowercase: lowercase) }) {
                case .read:
                    break
                case .missing:
                    if policy == .deadLetter { throw ScoringError(.missingFeature, "missing text field '\(field)'") }
                case .notAString:
                    throw ScoringError(.invalidFeature, "text field '\(field)' is not a string")
                }
            }
            text.accumulate(scratch.tokens, into: &scratch.vector, offset: 0, hashes: &scratch.gramHashes)
        }
        if let categorical, let spec = spec.categorical {
            for field in spec.fields {
                switch record.fieldValue(field) {
                case .string(let s):
                    categorical.addString(
                        field: field, value: s, into: &scratch.vector, offset: categoricalOffset, scratch: &scratch.bytes)
                case .number(let x):
                    categorical.addNumber(field: field, value: x, into: &scratch.vector, offset: categoricalOffset)
                case .bool(let b):
                    categorical.addNumber(field: field, value: b ? 1 : 0, into: &scratch.vector, offset: categoricalOffset)
                case nil:
                    if policy == .deadLetter {
                        throw ScoringError(.missingFeature, "missing categorical field '\(field)'")
                    }
                }
            }
        }
        for (k, n) in spec.numeric.enumerated() {
            let x: Double
            switch record.fieldValue(n.field) {
            case .number(let v): x = v
            case .bool(let b): x = b ? 1 : 0
            case .string(let s):
                guard let v = Double(s) else {
                    throw ScoringError(.invalidFeature, "numeric field '\(n.field)' is not a number")
                }
                x = v
            case nil:
                if policy == .deadLetter { throw ScoringError(.missingFeature, "missing numeric field '\(n.field)'") }
                x = n.default
            }
            let scaled = (x - n.mean) / n.scale
            if scaled != 0 { scratch.vector.set(numericOffset + k, scaled) }
        }
    }

    /// A readable name for input slot `index` of the record last featurized into `scratch`:
    /// the n-gram(s), `field=value` or numeric field name that produced it.
    public func featureName<R: FeatureRecord>(of index: Int, record: R, scratch: FeaturizerScratch) -> String {
        featureNames(of: [index], record: record, scratch: scratch)[0]
    }

    /// `featureName(of:)` for several slots; the text slots' n-grams are found in one pass.
    public func featureNames<R: FeatureRecord>(of indices: [Int], record: R, scratch: FeaturizerScratch) -> [String] {
        let textSlots = indices.filter { $0 < categoricalOffset }
        let grams = textSlots.isEmpty ? [] : text.map { $0.ngrams(of: scratch.tokens, hashes: scratch.gramHashes, hashingTo: textSlots) } ?? []
        // The record's categorical features and their slots, built once for all indices.
        let categoricalNames = indices.contains { $0 >= categoricalOffset && $0 < numericOffset } ? categoricalFeatures(of: record) : []
        var next = 0
        return indices.map { index in
            guard index < categoricalOffset, text != nil else { return otherName(of: index, categoricalNames) }
            defer { next += 1 }
            return grams[next].isEmpty ? "text[\(index)]" : grams[next].joined(separator: " | ")
        }
    }

    /// The record's categorical features (`field=value`, or `field` for a number), with their slots.
    private func categoricalFeatures<R: FeatureRecord>(of record: R) -> [(slot: Int, name: String)] {
        guard let categorical, let spec = spec.categorical else { return [] }
        return spec.fields.compactMap { field in
            let name: String
            switch record.fieldValue(field) {
            case .string(let s): name = "\(field)=\(s)"
            case .number, .bool: name = field
            case nil: return nil
            }
            return (categoricalOffset + categorical.slot(of: name), name)
        }
    }

    /// The name of a categorical or numeric slot (or of a text slot when there is no text feature).
    private func otherName(of index: Int, _ categoricalNames: [(slot: Int, name: String)]) -> String {
        if index < numericOffset, categorical != nil, spec.categorical != nil {
            let names = categoricalNames.filter { $0.slot == index }.map(\.name)
            return names.isEmpty ? "categorical[\(index - categoricalOffset)]" : names.joined(separator: " | ")
        }
        let k = index - numericOffset
        return k >= 0 && k < spec.numeric.count ? spec.numeric[k].field : "x[\(index)]"
    }
}

/// Reusable per-worker buffers for featurizing; create one per thread and reuse it for every record.
public struct FeaturizerScratch: Sendable {
    public var vector: SparseAccumulator
    var tokens = TextTokenizer()
    var bytes: [UInt8] = []
    /// The hash of every n-gram of the text last featurized, in `HashingVectorizer.ngrams`' order.
    var gramHashes: [Int32] = []

    public init(dimension: Int) {
        vector = SparseAccumulator(dimension: dimension)
        bytes.reserveCapacity(128)
        gramHashes.reserveCapacity(256)
    }
}
