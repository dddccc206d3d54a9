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
    /// Each n-gram's hash is also kept in `hashes` (cleared first), in the order `ngrams` walks them,
    /// so that naming explained slots does not hash the text again.
    ///
    /// An n-gram is hashed straight from the token buffer when its tokens sit one space apart there
    /// (always for unigrams), else from a joined copy on the stack: no string is built.
    func accumulate(
        _ tokens: TextTokenizer, into vector: inout SparseAccumulator, offset: Int, hashes kept: inout [Int32]
    ) {
        kept.removeAll(keepingCapacity: true)
        let start = vector.count
        let n = tokens.tokenCount
        let slots = SlotHashing(featureCount: featureCount, alternateSign: alternateSign)
        let (minimum, maximum) = ngramRange
        vector.withWriter(extra: n * (maximum - minimum + 1)) { writer in
            tokens.withTokens { raw, starts, ends in
                // A local copy of the writer stays in registers: through the `writer` parameter every
                // store to the index array might alias its count, which would be reloaded per token.
                var w = writer
                let base = raw.baseAddress!
                for size in minimum...maximum where size <= n {
                    if size == 1 {
                        // Hashes first, a block at a time, then the adds: the hashes' multiply chains
                        // overlap instead of waiting behind each table update.
                        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 64) { hashes in
                            // The closure reaches `w` through its address: a copy of its own keeps the
                            // count in a register instead of a store and reload per token.
                            var local = w
                            var done = 0
                            while done < n {
                                let block = min(64, n - done)
                                Self.hashTokens(
                                    base, starts.baseAddress! + done, ends.baseAddress! + done, count: block,
                                    into: hashes.baseAddress!)
                                slots.add(hashes.baseAddress!, count: block, offset: offset, to: &local)
                                kept.append(contentsOf: UnsafeBufferPointer(start: hashes.baseAddress!, count: block))
                                done += block
                            }
                            w = local
                        }
                        continue
                    }
                    for first in 0...(n - size) {
                        let hash = TextTokenizer.withGram(raw, starts, ends, first: first, size: size) {
                            MurmurHash3.hash32(overreading: $0, count: $1)
                        }
                        kept.append(hash)
                        w.add(offset &+ slots.index(hash), slots.sign(hash))
                    }
                }
                writer = w
            }
        }
        vector.normalize(from: start, norm: norm)
    }

    /// The hashes of the `count` (at most 64) tokens whose offsets in the token buffer at `base` are
    /// `starts[k]..<ends[k]`; the buffer keeps 8 readable bytes past its last token.
    ///
    /// Four tokens at a time in vector lanes (`MurmurHash3.hash32x4`); a token over 8 bytes, whose
    /// lane is then meaningless, is marked in a 64-bit mask and hashed alone afterwards, as are the
    /// last `count % 4` tokens.
    @inline(__always)
    static func hashTokens(
        _ base: UnsafeRawPointer, _ starts: UnsafePointer<Int>, _ ends: UnsafePointer<Int>, count: Int,
        into hashes: UnsafeMutablePointer<Int32>
    ) {
        let out = UnsafeMutableRawPointer(hashes)
        var alone: UInt64 = 0
        var k = 0
        while k &+ 4 <= count {
            let lanes = MurmurHash3.hash32x4(overreading: base, starts: starts + k, ends: ends + k)
            out.storeBytes(of: lanes, toByteOffset: 4 &* k, as: SIMD4<UInt32>.self)
            for j in k..<(k &+ 4) { alone |= UInt64(ends[j] &- starts[j] > 8 ? 1 : 0) << UInt64(j) }
            k &+= 4
        }
        while k < count {
            alone |= UInt64(1) << UInt64(k)
            k &+= 1
        }
        while alone != 0 {
            let j = alone.trailingZeroBitCount
            alone &= alone &- 1
            hashes[j] = MurmurHash3.hash32(overreading: base + starts[j], count: ends[j] &- starts[j])
        }
    }

    /// For each of `wanted` slots, the n-grams of `tokens` that hash to it, in order of first
    /// occurrence (readable names for explanations): one pass over the n-grams' kept `hashes`
    /// (from `accumulate`), building text only for the n-grams named.
    func ngrams(of tokens: TextTokenizer, hashes: [Int32], hashingTo wanted: [Int]) -> [[String]] {
        var names = [[String]](repeating: [], count: wanted.count)
        let n = tokens.tokenCount
        let slots = SlotHashing(featureCount: featureCount, alternateSign: false)
        var g = 0
        tokens.withTokens { raw, starts, ends in
            for size in ngramRange.min...ngramRange.max where size <= n {
                for first in 0...(n - size) {
                    defer { g += 1 }
                    let slot = slots.index(hashes[g])
                    for w in wanted.indices where wanted[w] == slot {
                        let name = TextTokenizer.withGram(raw, starts, ends, first: first, size: size) { start, count in
                            String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
                        }
                        if !names[w].contains(name) { names[w].append(name) }
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
