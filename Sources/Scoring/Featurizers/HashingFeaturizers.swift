/// scikit-learn's `HashingVectorizer(analyzer="word")` with the default token pattern.
public struct HashingVectorizer: Sendable, Hashable {
    public var featureCount: Int
    public var ngramRange: (min: Int, max: Int)
    public var alternateSign: Bool
    public var norm: HashingNorm
    public var lowercase: Bool

    public init(
        featureCount: Int = 1 << 20, ngramRange: (min: Int, max: Int) = (1, 1), alternateSign: Bool = true,
        norm: HashingNorm = .l2, lowercase: Bool = true
    ) {
        self.featureCount = featureCount
        self.ngramRange = ngramRange
        self.alternateSign = alternateSign
        self.norm = norm
        self.lowercase = lowercase
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.featureCount == b.featureCount && a.ngramRange == b.ngramRange && a.alternateSign == b.alternateSign
            && a.norm == b.norm && a.lowercase == b.lowercase
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(featureCount)
        hasher.combine(ngramRange.min)
        hasher.combine(ngramRange.max)
    }

    /// Adds the n-grams of the tokens held by `tokens` at `offset + slot`, then normalizes that block.
    ///
    /// An n-gram is hashed straight from the token buffer, where its tokens already sit one space
    /// apart: no string is built.
    func accumulate(_ tokens: TextTokenizer, into vector: inout SparseAccumulator, offset: Int) {
        let start = vector.count
        let n = tokens.tokenCount
        let slots = SlotHashing(featureCount: featureCount, alternateSign: alternateSign)
        let (minimum, maximum) = ngramRange
        vector.withWriter(extra: n * (maximum - minimum + 1)) { writer in
            tokens.withTokens { raw, starts, ends in
                let base = raw.baseAddress!
                for size in minimum...maximum where size <= n {
                    for first in 0...(n - size) {
                        let from = starts[first]
                        // The token buffer keeps 4 readable bytes past its last token.
                        let hash = MurmurHash3.hash32(overreading: base + from, count: ends[first + size - 1] - from)
                        writer.add(offset + slots.index(hash), slots.sign(hash))
                    }
                }
            }
        }
        vector.normalize(from: start, norm: norm)
    }

    /// The n-grams of `tokens` that hash to `slot` (readable names for explanations).
    func ngrams(of tokens: TextTokenizer, hashingTo slot: Int) -> [String] {
        var names: [String] = []
        let n = tokens.tokenCount
        let slots = SlotHashing(featureCount: featureCount, alternateSign: false)
        tokens.withTokens { raw, starts, ends in
            for size in ngramRange.min...ngramRange.max where size <= n {
                for first in 0...(n - size) {
                    let gram = UnsafeRawBufferPointer(rebasing: raw[starts[first]..<ends[first + size - 1]])
                    if slots.index(MurmurHash3.hash32(gram)) == slot {
                        let name = String(decoding: gram, as: UTF8.self)
                        if !names.contains(name) { names.append(name) }
                    }
                }
            }
        }
        return names
    }
}

/// scikit-learn's `FeatureHasher(input_type="dict")`: a string value `v` of field `f` becomes the
/// feature `"f=v"` with value 1; a numeric value becomes the feature `"f"` with that value (skipped if 0).
public struct DictFeatureHasher: Sendable, Hashable {
    public var featureCount: Int
    public var alternateSign: Bool

    public init(featureCount: Int = 1 << 20, alternateSign: Bool = true) {
        self.featureCount = featureCount
        self.alternateSign = alternateSign
    }

    /// Adds one `field=value` string feature.
    func addString(field: String, value: String, into vector: inout SparseAccumulator, offset: Int, scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: field.utf8)
        scratch.append(0x3d)
        scratch.append(contentsOf: value.utf8)
        let slots = SlotHashing(featureCount: featureCount, alternateSign: alternateSign)
        let hash = scratch.withUnsafeBytes { MurmurHash3.hash32($0) }
        vector.add(offset + slots.index(hash), slots.sign(hash))
    }

    /// Adds one numeric feature named `field`.
    func addNumber(field: String, value: Double, into vector: inout SparseAccumulator, offset: Int) {
        guard value != 0 else { return }
        let slots = SlotHashing(featureCount: featureCount, alternateSign: alternateSign)
        let hash = MurmurHash3.hash32(field)
        vector.add(offset + slots.index(hash), slots.sign(hash) * value)
    }

    /// The hashed slot of a named feature, without sign.
    func slot(of name: String) -> Int {
        SlotHashing(featureCount: featureCount, alternateSign: false).index(MurmurHash3.hash32(name))
    }
}
