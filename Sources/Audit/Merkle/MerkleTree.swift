import Crypto

/// RFC 6962 (Certificate Transparency) Merkle tree hashing over SHA-256, with inclusion and
/// consistency proofs as RFC 9162 §2.1 writes them.
///
/// A leaf hash is `SHA-256(0x00 ‖ entry)` and an interior node `SHA-256(0x01 ‖ left ‖ right)`, so a
/// leaf can never be passed off as a node. The tree over `n` leaves splits at the largest power of
/// two below `n`; the empty tree's hash is `SHA-256("")`. Indices here are zero-based.
public enum MerkleTree {
    /// The hash of the empty tree.
    public static let emptyRoot: [UInt8] = Array(SHA256.hash(data: [UInt8]()))

    public static func leafHash<Bytes: Sequence>(_ entry: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: Array(entry))
        return Array(hasher.finalize())
    }

    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// MTH(D[n]) over leaf hashes already computed.
    public static func root(leafHashes: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leafHashes.count {
        case 0: return emptyRoot
        case 1: return leafHashes[leafHashes.startIndex]
        default:
            let split = leafHashes.startIndex + largestPowerOfTwo(below: leafHashes.count)
            return nodeHash(
                root(leafHashes: leafHashes[leafHashes.startIndex..<split]),
                root(leafHashes: leafHashes[split..<leafHashes.endIndex]))
        }
    }

    public static func root(leafHashes: [UInt8]...) -> [UInt8] { root(leafHashes: leafHashes[...]) }

    /// The audit path PATH(index, D[n]): the sibling hashes from the leaf up to the root.
    public static func inclusionProof(index: Int, leafHashes: ArraySlice<[UInt8]>) -> [[UInt8]] {
        precondition(index >= 0 && index < leafHashes.count, "leaf index out of range")
        guard leafHashes.count > 1 else { return [] }
        let start = leafHashes.startIndex
        let split = largestPowerOfTwo(below: leafHashes.count)
        if index < split {
            return inclusionProof(index: index, leafHashes: leafHashes[start..<start + split])
                + [root(leafHashes: leafHashes[(start + split)...])]
        }
        return inclusionProof(index: index - split, leafHashes: leafHashes[(start + split)...])
            + [root(leafHashes: leafHashes[start..<start + split])]
    }

    /// The root that `proof` leads to from leaf `index` of a tree of `size` leaves, or nil when the
    /// proof has the wrong length for that position (RFC 9162 §2.1.3.2).
    public static func rootFromInclusionProof(
        index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]]
    ) -> [UInt8]? {
        guard index < size else { return nil }
        var fn = index
        var sn = size - 1
        var hash = leafHash
        for sibling in proof {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                hash = nodeHash(sibling, hash)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                hash = nodeHash(hash, sibling)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? hash : nil
    }

    public static func verifyInclusion(
        index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]], root: [UInt8]
    ) -> Bool {
        rootFromInclusionProof(index: index, size: size, leafHash: leafHash, proof: proof) == root
    }

    /// PROOF(m, D[n]): shows that the tree of the first `oldSize` leaves is a prefix of this one.
    public static func consistencyProof(oldSize: Int, leafHashes: ArraySlice<[UInt8]>) -> [[UInt8]] {
        precondition(oldSize >= 0 && oldSize <= leafHashes.count, "old size out of range")
        guard oldSize > 0 else { return [] }
        return subproof(oldSize, leafHashes, complete: true)
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, complete: Bool) -> [[UInt8]] {
        if m == leaves.count { return complete ? [] : [root(leafHashes: leaves)] }
        let start = leaves.startIndex
        let split = largestPowerOfTwo(below: leaves.count)
        if m <= split {
            return subproof(m, leaves[start..<start + split], complete: complete)
                + [root(leafHashes: leaves[(start + split)...])]
        }
        return subproof(m - split, leaves[(start + split)...], complete: false)
            + [root(leafHashes: leaves[start..<start + split])]
    }

    /// Checks a consistency proof between two tree heads (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(
        oldSize: UInt64, newSize: UInt64, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        guard oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var oldHash = path[0]
        var newHash = path[0]
        for node in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                oldHash = nodeHash(node, oldHash)
                newHash = nodeHash(node, newHash)
                while fn & 1 == 0 && fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                newHash = nodeHash(newHash, node)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && oldHash == oldRoot && newHash == newRoot
    }

    /// The largest power of two strictly below `n` (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        var split = 1
        while split << 1 < n { split <<= 1 }
        return split
    }
}

extension MerkleTree {
    /// Plain SHA-256, as the audit chain links messages.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
