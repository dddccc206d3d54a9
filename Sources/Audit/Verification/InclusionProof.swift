import Foundation
import JSON

/// Shows that one output is in the signed log without revealing any other: the output itself, its
/// leaf index, the audit path to the checkpoint's root, and the signed checkpoint
/// (`steward audit prove` writes it, `steward audit verify-proof` checks it).
public struct InclusionProof: Sendable, Equatable {
    public var id: String
    public var topic: String
    public var message: [UInt8]
    public var leafIndex: UInt64
    public var path: [[UInt8]]
    public var checkpoint: AuditEntry.SignedCheckpoint

    public init(
        id: String, topic: String, message: [UInt8], leafIndex: UInt64, path: [[UInt8]],
        checkpoint: AuditEntry.SignedCheckpoint
    ) {
        self.id = id
        self.topic = topic
        self.message = message
        self.leafIndex = leafIndex
        self.path = path
        self.checkpoint = checkpoint
    }

    /// The proof for the output with CloudEvent `id` (on `topic`, when ids repeat across topics),
    /// against the latest checkpoint that covers it. `verifier` must have verified the log.
    public static func make(
        id: String, topic: String?, outputs: [String: [[UInt8]]], verifier: AuditVerifier
    ) throws(AuditError) -> InclusionProof {
        guard
            let index = verifier.leaves.firstIndex(where: { leaf in
                (topic == nil || leaf.topic == topic)
                    && AuditVerifier.eventID(outputs[leaf.topic]![leaf.index]) == id
            })
        else { throw AuditError("no output with id \(id)\(topic.map { " on \($0)" } ?? "") is in the audit log") }
        guard let signed = verifier.checkpoints.last, signed.checkpoint.treeSize > UInt64(index) else {
            throw AuditError("output \(id) is in the log but no checkpoint covers it yet")
        }
        let leaf = verifier.leaves[index]
        let hashes = verifier.leaves[0..<Int(signed.checkpoint.treeSize)].map(\.hash)
        return InclusionProof(
            id: id, topic: leaf.topic, message: outputs[leaf.topic]![leaf.index], leafIndex: UInt64(index),
            path: MerkleTree.inclusionProof(index: index, leafHashes: hashes[...]), checkpoint: signed)
    }

    /// Checks the path and, with a key, the checkpoint's signature. Returns what was shown.
    public func verify(publicKey: AuditPublicKey?) throws(AuditError) -> String {
        guard AuditVerifier.eventID(message) == id else {
            throw AuditError("the proof's message does not have id \(id)")
        }
        let body = checkpoint.checkpoint
        guard
            MerkleTree.verifyInclusion(
                index: leafIndex, size: body.treeSize, leafHash: MerkleTree.leafHash(message), proof: path,
                root: body.root)
        else {
            throw AuditError(
                "the inclusion proof of \(id) does not lead to the checkpoint's root: the message or the proof was modified"
            )
        }
        guard let publicKey else {
            return
                "\(id) is leaf \(leafIndex) of \(body.origin) at tree size \(body.treeSize) (signature not checked: no --pubkey)"
        }
        guard let signature = checkpoint.signature else { throw AuditError("the proof's checkpoint is not signed") }
        guard checkpoint.keyID == publicKey.keyID, publicKey.isValid(signature: signature, for: body) else {
            throw AuditError("the proof's checkpoint signature is not valid for key \(publicKey.keyID)")
        }
        return
            "\(id) is leaf \(leafIndex) of \(body.origin) at tree size \(body.treeSize), signed by key \(publicKey.keyID)"
    }

    public var json: [UInt8] {
        let body = checkpoint.checkpoint
        var signed: [(key: String, value: JSONValue)] = [
            ("origin", .string(body.origin)), ("tree_size", .number(String(body.treeSize))),
            ("root", .string(Hex.encode(body.root))), ("entry", .string(Hex.encode(body.entryDigest))),
        ]
        if let keyID = checkpoint.keyID, let signature = checkpoint.signature {
            signed += [("key_id", .string(keyID)), ("signature", .string(Data(signature).base64EncodedString()))]
        }
        return JSONWriter.encode(
            .object([
                ("id", .string(id)), ("topic", .string(topic)),
                ("message", .string(String(decoding: message, as: UTF8.self))),
                ("leaf_index", .number(String(leafIndex))), ("path", .array(path.map { .string(Hex.encode($0)) })),
                ("checkpoint", .object(signed)),
            ]))
    }

    public init(json bytes: [UInt8]) throws(AuditError) {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw AuditError("the proof is not JSON") }
        guard case .string(let id) = value["id"] ?? .null, case .string(let topic) = value["topic"] ?? .null,
            case .string(let message) = value["message"] ?? .null,
            case .number(let index) = value["leaf_index"] ?? .null, let leafIndex = UInt64(index),
            case .array(let path) = value["path"] ?? .null, let checkpoint = value["checkpoint"],
            case .string(let origin) = checkpoint["origin"] ?? .null,
            case .number(let size) = checkpoint["tree_size"] ?? .null, let treeSize = UInt64(size),
            case .string(let root) = checkpoint["root"] ?? .null, let rootBytes = Hex.decode(root),
            case .string(let entry) = checkpoint["entry"] ?? .null, let entryDigest = Hex.decode(entry)
        else { throw AuditError("the proof lacks a member or has one of the wrong type") }
        var hashes: [[UInt8]] = []
        for element in path {
            guard case .string(let text) = element, let hash = Hex.decode(text), hash.count == 32 else {
                throw AuditError("the proof's path holds something other than SHA-256 hashes")
            }
            hashes.append(hash)
        }
        var signature: [UInt8]?
        if case .string(let text) = checkpoint["signature"] ?? .null {
            guard let decoded = Data(base64Encoded: text) else {
                throw AuditError("the proof's signature is not base64")
            }
            signature = Array(decoded)
        }
        self.init(
            id: id, topic: topic, message: Array(message.utf8), leafIndex: leafIndex, path: hashes,
            checkpoint: AuditEntry.SignedCheckpoint(
                checkpoint: Checkpoint(origin: origin, treeSize: treeSize, root: rootBytes, entryDigest: entryDigest),
                keyID: checkpoint["key_id"]?.stringValue, signature: signature))
    }
}
