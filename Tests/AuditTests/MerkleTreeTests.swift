import Foundation
import Testing

@testable import Audit

/// Certificate Transparency's known answers (Tests/AuditTests/Data/rfc6962-vectors.json).
struct RFC6962Vectors: Decodable {
    struct Path: Decodable {
        var leaf: Int
        var tree_size: Int
        var path: [String]
    }

    struct Consistency: Decodable {
        var old_size: Int
        var new_size: Int
        var proof: [String]
    }

    var empty_root: String
    var inputs: [String]
    var roots: [String]
    var paths: [Path]
    var consistency: [Consistency]

    static let loaded: RFC6962Vectors = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "Data/rfc6962-vectors.json")
        return try! JSONDecoder().decode(RFC6962Vectors.self, from: Data(contentsOf: url))
    }()

    var leafHashes: [[UInt8]] { inputs.map { MerkleTree.leafHash(Hex.decode($0)!) } }
}

func hex(_ text: String) -> [UInt8] { Hex.decode(text)! }

@Suite struct MerkleTreeVectors {
    let vectors = RFC6962Vectors.loaded

    @Test func emptyTreeHashIsTheHashOfNothing() {
        #expect(Hex.encode(MerkleTree.emptyRoot) == vectors.empty_root)
        #expect(Hex.encode(MerkleTree.root(leafHashes: [][...])) == vectors.empty_root)
        #expect(Hex.encode(CompactFrontier().root) == vectors.empty_root)
    }

    @Test func rootsOfEveryPrefixMatchCertificateTransparency() {
        let leaves = vectors.leafHashes
        for size in 1...8 {
            #expect(
                Hex.encode(MerkleTree.root(leafHashes: leaves[0..<size])) == vectors.roots[size - 1], "size \(size)")
        }
    }

    @Test func compactFrontierGivesTheSameRootsWithLogarithmicState() {
        var frontier = CompactFrontier()
        for (index, leaf) in vectors.leafHashes.enumerated() {
            frontier.append(leafHash: leaf)
            #expect(Hex.encode(frontier.root) == vectors.roots[index])
            #expect(frontier.nodes.count == (index + 1).nonzeroBitCount)
        }
    }

    @Test func compactFrontierAgreesWithTheRecursiveRootUpTo300Leaves() {
        var frontier = CompactFrontier()
        var leaves: [[UInt8]] = []
        for index in 0..<300 {
            let leaf = MerkleTree.leafHash([UInt8(index & 0xff), UInt8(index >> 8)])
            leaves.append(leaf)
            frontier.append(leafHash: leaf)
            #expect(frontier.root == MerkleTree.root(leafHashes: leaves[...]))
        }
    }

    @Test func inclusionProofsMatchCertificateTransparency() {
        let leaves = vectors.leafHashes
        for vector in vectors.paths {
            let proof = MerkleTree.inclusionProof(index: vector.leaf - 1, leafHashes: leaves[0..<vector.tree_size])
            #expect(proof.map { Hex.encode($0) } == vector.path, "leaf \(vector.leaf) of \(vector.tree_size)")
            #expect(
                MerkleTree.verifyInclusion(
                    index: UInt64(vector.leaf - 1), size: UInt64(vector.tree_size), leafHash: leaves[vector.leaf - 1],
                    proof: vector.path.map(hex), root: hex(vectors.roots[vector.tree_size - 1])))
        }
    }

    @Test func consistencyProofsMatchCertificateTransparency() {
        let leaves = vectors.leafHashes
        for vector in vectors.consistency {
            let proof = MerkleTree.consistencyProof(oldSize: vector.old_size, leafHashes: leaves[0..<vector.new_size])
            #expect(proof.map { Hex.encode($0) } == vector.proof, "\(vector.old_size) → \(vector.new_size)")
            #expect(
                MerkleTree.verifyConsistency(
                    oldSize: UInt64(vector.old_size), newSize: UInt64(vector.new_size),
                    oldRoot: hex(vectors.roots[vector.old_size - 1]), newRoot: hex(vectors.roots[vector.new_size - 1]),
                    proof: vector.proof.map(hex)))
        }
    }

    /// CT's verifier checks: a wrong index, size, leaf, root or path element must not verify.
    @Test func inclusionVerificationRejectsEveryWrongInput() {
        var leaves: [[UInt8]] = []
        for byte in 0..<64 { leaves.append(MerkleTree.leafHash([UInt8(byte)])) }
        for size in 1...64 {
            let root = MerkleTree.root(leafHashes: leaves[0..<size])
            for index in 0..<size {
                let proof = MerkleTree.inclusionProof(index: index, leafHashes: leaves[0..<size])
                let i = UInt64(index)
                let n = UInt64(size)
                #expect(
                    MerkleTree.verifyInclusion(index: i, size: n, leafHash: leaves[index], proof: proof, root: root))
                #expect(
                    !MerkleTree.verifyInclusion(
                        index: i + 1, size: n, leafHash: leaves[index], proof: proof, root: root))
                if index > 0 {
                    #expect(
                        !MerkleTree.verifyInclusion(
                            index: i - 1, size: n, leafHash: leaves[index], proof: proof, root: root))
                }
                #expect(
                    !MerkleTree.verifyInclusion(
                        index: i, size: n * 2, leafHash: leaves[index], proof: proof, root: root))
                #expect(
                    !MerkleTree.verifyInclusion(
                        index: i, size: n, leafHash: MerkleTree.leafHash(Array("WrongLeaf".utf8)), proof: proof,
                        root: root))
                #expect(
                    !MerkleTree.verifyInclusion(
                        index: i, size: n, leafHash: leaves[index], proof: proof, root: MerkleTree.emptyRoot))
                for position in proof.indices {
                    var wrong = proof
                    wrong[position] = MerkleTree.emptyRoot
                    #expect(
                        !MerkleTree.verifyInclusion(
                            index: i, size: n, leafHash: leaves[index], proof: wrong, root: root))
                }
                #expect(
                    !MerkleTree.verifyInclusion(
                        index: i, size: n, leafHash: leaves[index], proof: proof + [root], root: root))
                if !proof.isEmpty {
                    #expect(
                        !MerkleTree.verifyInclusion(
                            index: i, size: n, leafHash: leaves[index], proof: proof.dropLast(), root: root))
                }
            }
        }
    }

    @Test func consistencyVerificationRejectsEveryWrongInput() {
        var leaves: [[UInt8]] = []
        for byte in 0..<48 { leaves.append(MerkleTree.leafHash([UInt8(byte)])) }
        for newSize in 1...48 {
            let newRoot = MerkleTree.root(leafHashes: leaves[0..<newSize])
            for oldSize in 1...newSize {
                let oldRoot = MerkleTree.root(leafHashes: leaves[0..<oldSize])
                let proof = MerkleTree.consistencyProof(oldSize: oldSize, leafHashes: leaves[0..<newSize])
                let m = UInt64(oldSize)
                let n = UInt64(newSize)
                #expect(
                    MerkleTree.verifyConsistency(
                        oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: newRoot, proof: proof))
                guard !proof.isEmpty else { continue }
                #expect(
                    !MerkleTree.verifyConsistency(
                        oldSize: m, newSize: n, oldRoot: newRoot, newRoot: oldRoot, proof: proof))
                #expect(
                    !MerkleTree.verifyConsistency(
                        oldSize: m + 1, newSize: n, oldRoot: oldRoot, newRoot: newRoot, proof: proof))
                #expect(
                    !MerkleTree.verifyConsistency(
                        oldSize: m, newSize: n * 2, oldRoot: oldRoot, newRoot: newRoot, proof: proof))
                #expect(
                    !MerkleTree.verifyConsistency(oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: newRoot, proof: [])
                )
                for position in proof.indices {
                    var wrong = proof
                    wrong[position] = MerkleTree.emptyRoot
                    #expect(
                        !MerkleTree.verifyConsistency(
                            oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: newRoot, proof: wrong))
                }
                #expect(
                    !MerkleTree.verifyConsistency(
                        oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: newRoot, proof: proof + [proof.last!]))
            }
        }
    }

    @Test func trivialConsistencyCases() {
        #expect(MerkleTree.verifyConsistency(oldSize: 0, newSize: 1, oldRoot: [], newRoot: [], proof: []))
        #expect(!MerkleTree.verifyConsistency(oldSize: 1, newSize: 0, oldRoot: [], newRoot: [], proof: []))
        #expect(!MerkleTree.verifyConsistency(oldSize: 1, newSize: 2, oldRoot: [], newRoot: [], proof: []))
        #expect(
            !MerkleTree.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: MerkleTree.emptyRoot, newRoot: [], proof: [])
        )
    }
}
