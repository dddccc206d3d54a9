/// The running head of an append-only Merkle tree in O(log n) space: the roots of the perfect
/// subtrees that the leaves so far decompose into, largest (leftmost) first. Appending a leaf and
/// reading the RFC 6962 root need nothing else, so the audit state stays small however long the log.
public struct CompactFrontier: Sendable, Equatable, Codable {
    public private(set) var size: UInt64 = 0
    /// One hash per set bit of `size`, from the most significant bit down.
    public private(set) var nodes: [[UInt8]] = []

    public init() {}

    public mutating func append(leafHash: [UInt8]) {
        var hash = leafHash
        var carried = size
        while carried & 1 == 1 {
            hash = MerkleTree.nodeHash(nodes.removeLast(), hash)
            carried >>= 1
        }
        nodes.append(hash)
        size += 1
    }

    /// MTH over every leaf appended so far.
    public var root: [UInt8] {
        guard var hash = nodes.last else { return MerkleTree.emptyRoot }
        for node in nodes.dropLast().reversed() {
            hash = MerkleTree.nodeHash(node, hash)
        }
        return hash
    }
}
