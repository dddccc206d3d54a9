/// A sparse feature vector over a fixed dimension, built by summing contributions the way
/// scikit-learn's `csr_matrix.sum_duplicates` does, with no allocation once warm.
///
/// Keeps a dense array that is all zeros between records; only touched indices are reset.
public struct SparseAccumulator: Sendable {
    /// Dense values; zero wherever `indices` does not point.
    public private(set) var dense: [Double]
    private var touched: [Bool]
    /// Touched indices, in first-touch order (a touched value may have summed to zero).
    public private(set) var indices: [Int]
    /// Room for the indices a `withWriter` pass adds, before they are appended to `indices` at once.
    private var pending: [Int]

    public init(dimension: Int) {
        dense = Array(repeating: 0, count: dimension)
        touched = Array(repeating: false, count: dimension)
        indices = []
        indices.reserveCapacity(256)
        pending = Array(repeating: 0, count: 256)
    }

    public var dimension: Int { dense.count }

    @inlinable
    public var count: Int { indices.count }

    @inline(__always)
    mutating func add(_ index: Int, _ value: Double) {
        if !touched[index] {
            touched[index] = true
            indices.append(index)
        }
        dense[index] += value
    }

    @inline(__always)
    mutating func set(_ index: Int, _ value: Double) {
        if !touched[index] {
            touched[index] = true
            indices.append(index)
        }
        dense[index] = value
    }

    /// Calls `body` with raw access for many `add`s; `extra` bounds how many times it calls `add`.
    @inline(__always)
    mutating func withWriter(extra: Int, _ body: (inout SparseWriter) -> Void) {
        if pending.count < extra { pending.append(contentsOf: repeatElement(0, count: extra - pending.count)) }
        var added = 0
        dense.withUnsafeMutableBufferPointer { dense in
            touched.withUnsafeMutableBufferPointer { touched in
                pending.withUnsafeMutableBufferPointer { pending in
                    var writer = SparseWriter(
                        dense: dense.baseAddress!, touched: touched.baseAddress!, added: pending.baseAddress!)
                    body(&writer)
                    added = writer.addedCount
                }
            }
        }
        pending.withUnsafeBufferPointer { indices.append(contentsOf: $0[0..<added]) }
    }

    /// Scales the entries touched since `start` so their L1 or L2 norm is 1, as
    /// `sklearn.preprocessing.normalize` does for one CSR row (sum, then divide).
    mutating func normalize(from start: Int, norm: HashingNorm) {
        guard norm != .none else { return }
        var sum = 0.0
        for k in start..<indices.count {
            let v = dense[indices[k]]
            sum += norm == .l2 ? v * v : abs(v)
        }
        guard sum != 0 else { return }
        let divisor = norm == .l2 ? sum.squareRoot() : sum
        for k in start..<indices.count { dense[indices[k]] /= divisor }
    }

    /// Resets to the zero vector, keeping capacity.
    public mutating func clear() {
        for i in indices {
            dense[i] = 0
            touched[i] = false
        }
        indices.removeAll(keepingCapacity: true)
    }
}

/// Row normalization of a hashed block (`norm` of `HashingVectorizer`).
public enum HashingNorm: String, Codable, Sendable {
    case l1, l2, none
}

extension SparseAccumulator {
    /// Rounds every value to the nearest float32, as feeding a float32 model input does.
    mutating func roundToFloat32() {
        for i in indices { dense[i] = Double(Float(dense[i])) }
    }
}

/// Adds into a `SparseAccumulator` through raw pointers; indices must be below its dimension,
/// and `add` may be called at most as many times as `withWriter` was told.
struct SparseWriter {
    let dense: UnsafeMutablePointer<Double>
    let touched: UnsafeMutablePointer<Bool>
    /// First-touched indices of this pass.
    let added: UnsafeMutablePointer<Int>
    var addedCount = 0

    /// Without a branch on first touch: which slots a text hits is unpredictable, so a branch
    /// there mispredicts often. The index is always written and counted only when new.
    @inline(__always)
    mutating func add(_ index: Int, _ value: Double) {
        let isNew = touched[index] ? 0 : 1
        added[addedCount] = index
        addedCount &+= isNew
        touched[index] = true
        dense[index] += value
    }
}
