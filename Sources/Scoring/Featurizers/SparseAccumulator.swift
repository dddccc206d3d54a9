/// A sparse feature vector over a fixed dimension, built by summing contributions the way
/// scikit-learn's `csr_matrix.sum_duplicates` does, with no allocation once warm.
///
/// The touched indices and their values are kept compact, in first-touch order; a small
/// open-addressing table (a few KB, so it stays in L1) finds an index already touched. Nothing is
/// proportional to the dimension except the dense row, which is filled only for models that read
/// one (`materializeDense()`): a linear model over 2^18 hashed slots touches a few KB per record,
/// not three 2^18-entry arrays.
public struct SparseAccumulator: Sendable {
    public let dimension: Int
    /// Touched indices and their summed values in `indexStorage[0..<count]`, `valueStorage[0..<count]`.
    private var indexStorage: [Int]
    private var valueStorage: [Double]
    public private(set) var count = 0
    /// Open addressing, linear probing: `generation << 32 | index` in `tags`, the index's position in
    /// the compact arrays in `positions`; a tag from another generation is an empty slot.
    private var tags: [UInt64]
    private var positions: [Int32]
    private var generation: UInt64 = 1
    /// Zero except at the touched indices while `denseIsFilled`.
    private var denseStorage: [Double]
    private var denseIsFilled = false

    /// `dimension` at most 2^32 (indices are kept in 32 bits).
    public init(dimension: Int) {
        precondition(dimension >= 0 && dimension <= 1 << 32, "SparseAccumulator: dimension above 2^32")
        self.dimension = dimension
        indexStorage = Array(repeating: 0, count: 256)
        valueStorage = Array(repeating: 0, count: 256)
        tags = Array(repeating: 0, count: 1024)
        positions = Array(repeating: 0, count: 1024)
        denseStorage = Array(repeating: 0, count: max(dimension, 1))
    }

    /// Touched indices, in first-touch order (a touched value may have summed to zero).
    public var indices: [Int] { Array(indexStorage[0..<count]) }

    /// Values at `indices`, in the same order.
    public var values: [Double] { Array(valueStorage[0..<count]) }

    /// The value at `index` (zero when untouched).
    public func value(at index: Int) -> Double {
        guard index >= 0 && index < dimension else { return 0 }
        let mask = tags.count - 1
        let tag = generation << 32 | UInt64(index)
        var slot = SparseWriter.home(index, mask: mask)
        while tags[slot] >> 32 == generation {
            if tags[slot] == tag { return valueStorage[Int(positions[slot])] }
            slot = (slot + 1) & mask
        }
        return 0
    }

    @inline(__always)
    mutating func add(_ index: Int, _ value: Double) {
        withWriter(extra: 1) { $0.add(index, value) }
    }

    @inline(__always)
    mutating func set(_ index: Int, _ value: Double) {
        withWriter(extra: 1) { $0.set(index, value) }
    }

    /// Calls `body` with raw access for many `add`s; `extra` bounds how many times it calls `add` or `set`.
    @inline(__always)
    mutating func withWriter(extra: Int, _ body: (inout SparseWriter) -> Void) {
        reserve(count + extra)
        precondition(!denseIsFilled, "SparseAccumulator: add after materializeDense() without clear()")
        let stamp = generation << 32
        var added = count
        indexStorage.withUnsafeMutableBufferPointer { indices in
            valueStorage.withUnsafeMutableBufferPointer { values in
                tags.withUnsafeMutableBufferPointer { tags in
                    positions.withUnsafeMutableBufferPointer { positions in
                        var writer = SparseWriter(
                            indices: indices.baseAddress!, values: values.baseAddress!, tags: tags.baseAddress!,
                            positions: positions.baseAddress!, mask: tags.count - 1, stamp: stamp, count: added)
                        body(&writer)
                        added = writer.count
                    }
                }
            }
        }
        count = added
    }

    /// Room for `needed` entries, with the table at most half full.
    private mutating func reserve(_ needed: Int) {
        if indexStorage.count < needed {
            let room = max(needed, 2 * indexStorage.count)
            indexStorage.append(contentsOf: repeatElement(0, count: room - indexStorage.count))
            valueStorage.append(contentsOf: repeatElement(0, count: room - valueStorage.count))
        }
        guard tags.count < 2 * needed else { return }
        var size = tags.count
        while size < 2 * needed { size *= 2 }
        tags = Array(repeating: 0, count: size)
        positions = Array(repeating: 0, count: size)
        generation = 1
        let mask = size - 1
        for position in 0..<count {
            var slot = SparseWriter.home(indexStorage[position], mask: mask)
            while tags[slot] >> 32 == generation { slot = (slot + 1) & mask }
            tags[slot] = generation << 32 | UInt64(indexStorage[position])
            positions[slot] = Int32(position)
        }
    }

    /// Calls `body` with the touched indices and their values (parallel, first-touch order).
    @inline(__always)
    public func withEntries<T>(_ body: (UnsafeBufferPointer<Int>, UnsafeBufferPointer<Double>) -> T) -> T {
        indexStorage.withUnsafeBufferPointer { i in
            valueStorage.withUnsafeBufferPointer { v in
                body(UnsafeBufferPointer(rebasing: i[0..<count]), UnsafeBufferPointer(rebasing: v[0..<count]))
            }
        }
    }

    /// Scales the entries touched since `start` so their L1 or L2 norm is 1, as
    /// `sklearn.preprocessing.normalize` does for one CSR row (sum, then divide).
    mutating func normalize(from start: Int, norm: HashingNorm) {
        guard norm != .none, start < count else { return }
        let end = count
        valueStorage.withUnsafeMutableBufferPointer { v in
            var sum = 0.0
            if norm == .l2 {
                for k in start..<end { sum += v[k] * v[k] }
            } else {
                for k in start..<end { sum += abs(v[k]) }
            }
            guard sum != 0 else { return }
            let divisor = norm == .l2 ? sum.squareRoot() : sum
            for k in start..<end { v[k] /= divisor }
        }
    }

    /// Fills the dense row (for models that read every input) until the next `clear()`.
    mutating func materializeDense() {
        guard !denseIsFilled else { return }
        for k in 0..<count { denseStorage[indexStorage[k]] = valueStorage[k] }
        denseIsFilled = true
    }

    /// Calls `body` with the dense row (see `withDenseStorage`), the touched indices and their values.
    @inline(__always)
    func withRow<T>(
        _ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Int>, UnsafeBufferPointer<Double>) -> T
    ) -> T {
        denseStorage.withUnsafeBufferPointer { dense in
            withEntries { indices, values in body(dense, indices, values) }
        }
    }

    /// Calls `body` with the dense row, which holds the values only after `materializeDense()`
    /// (all zeros otherwise, for callers that read only the entries).
    @inline(__always)
    func withDenseStorage<T>(_ body: (UnsafeBufferPointer<Double>) -> T) -> T {
        denseStorage.withUnsafeBufferPointer(body)
    }

    /// Resets to the zero vector, keeping capacity.
    public mutating func clear() {
        if denseIsFilled {
            for k in 0..<count { denseStorage[indexStorage[k]] = 0 }
            denseIsFilled = false
        }
        count = 0
        if generation == UInt64(UInt32.max) {
            for i in tags.indices { tags[i] = 0 }
            generation = 1
        } else {
            generation += 1
        }
    }
}

/// Row normalization of a hashed block (`norm` of `HashingVectorizer`).
public enum HashingNorm: String, Codable, Sendable {
    case l1, l2, none
}

extension SparseAccumulator {
    /// Rounds every value to the nearest float32, as feeding a float32 model input does.
    mutating func roundToFloat32() {
        let n = count
        valueStorage.withUnsafeMutableBufferPointer { v in
            for k in 0..<n { v[k] = Double(Float(v[k])) }
        }
        if denseIsFilled {
            for k in 0..<n { denseStorage[indexStorage[k]] = valueStorage[k] }
        }
    }
}

/// Adds into a `SparseAccumulator` through raw pointers; indices must be below its dimension,
/// and `add`/`set` may be called at most as many times as `withWriter` was told.
///
/// Which slots a text hits, and whether a slot was hit before in the same record, is unpredictable,
/// so `add` has no branch on it: the only branch is for a table slot held by another index (rare
/// at the table's load of at most one half).
struct SparseWriter {
    let indices: UnsafeMutablePointer<Int>
    let values: UnsafeMutablePointer<Double>
    let tags: UnsafeMutablePointer<UInt64>
    let positions: UnsafeMutablePointer<Int32>
    let mask: Int
    /// The generation, shifted to the high 32 bits.
    let stamp: UInt64
    var count: Int

    /// Where probing for `index` starts (Fibonacci hashing: indices may be small consecutive integers).
    @inline(__always)
    static func home(_ index: Int, mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The table slot of `index`: the one holding it, or the empty one where it goes.
    @inline(__always)
    private func slot(of index: Int, tag: UInt64) -> Int {
        var slot = Self.home(index, mask: mask)
        // `tags[slot] ^ tag` is 0 for this index, at least 2^32 for an empty slot (another
        // generation), and in between only for another index of this generation: probe on.
        while (tags[slot] ^ tag) &- 1 < 0xFFFF_FFFF { slot = (slot &+ 1) & mask }
        return slot
    }

    /// The slot's position if it holds `tag`, else `count` (a new entry); the stored position (which
    /// may be stale); and all ones when found, zero when new. Selected by masks: the compiler turns a
    /// conditional choice that reads memory into a branch.
    @inline(__always)
    private func position(slot: Int, tag: UInt64) -> (position: Int, stored: Int, found: Int) {
        let stored = Int(positions[slot])
        let difference = tags[slot] ^ tag
        let isNew = Int(truncatingIfNeeded: (difference | (0 &- difference)) >> 63)
        let found = isNew &- 1
        return ((stored & found) | (count & ~found), stored, found)
    }

    /// Adds `value` at `index`. The sum is written without first storing the zero of a new entry
    /// and reading it back: that store-then-load of one address, taken or not at random, makes the
    /// processor guess wrong about memory order and replay.
    @inline(__always)
    mutating func add(_ index: Int, _ value: Double) {
        let tag = stamp | UInt64(truncatingIfNeeded: index)
        let slot = slot(of: index, tag: tag)
        let (p, stored, found) = position(slot: slot, tag: tag)
        // The entry's sum so far, or +0.0 for a new one (a stale position reads a value in bounds).
        let sum = Double(bitPattern: values[stored].bitPattern & UInt64(bitPattern: Int64(found)))
        tags[slot] = tag
        positions[slot] = Int32(truncatingIfNeeded: p)
        indices[count] = index
        values[p] = sum + value
        count &+= found &+ 1
    }

    @inline(__always)
    mutating func set(_ index: Int, _ value: Double) {
        let tag = stamp | UInt64(truncatingIfNeeded: index)
        let slot = slot(of: index, tag: tag)
        let (p, _, found) = position(slot: slot, tag: tag)
        tags[slot] = tag
        positions[slot] = Int32(truncatingIfNeeded: p)
        indices[count] = index
        values[p] = value
        count &+= found &+ 1
    }
}
