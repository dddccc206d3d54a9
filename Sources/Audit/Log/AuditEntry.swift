import Crypto
import Foundation
import JSON

/// One message of `<name>.audit`: what a stretch of input produced, tied into one growing Merkle
/// tree over every output and into a hash chain over the audit messages themselves.
///
/// Its JSON (the CloudEvent's `data`) is written in a fixed member order, so a replay writes the
/// same bytes. Hashes are lower-case hex.
public struct AuditEntry: Sendable, Equatable {
    /// 0 for the log's first entry, then one more per entry: a gap or repeat shows a lost or
    /// reordered audit message.
    public var sequence: UInt64
    /// The input covered, per input partition, in (topic, partition) order.
    public var inputs: [InputRange]
    /// The outputs covered, per output topic in byte order of the topic names: the order of their
    /// leaves in the tree.
    public var outputs: [TopicBatch]
    /// RFC 6962 root over the leaf hashes of this entry's outputs (topics in order, each topic's
    /// messages in publication order).
    public var batchRoot: [UInt8]
    /// The tree over every output so far, this entry's included.
    public var treeSize: UInt64
    public var root: [UInt8]
    /// SHA-256 of the previous audit message's bytes; nil for the first entry.
    public var previous: [UInt8]?
    /// The lineage attributes of the outputs (topology, model, policy, version), as name–value pairs.
    public var lineage: [Attribute]
    /// The privacy budget spent so far, as the stream stages report it; nil without DP releases.
    public var privacy: JSONValue?
    /// Set on the entry written at shutdown.
    public var final: Bool
    public var checkpoint: SignedCheckpoint?

    public struct InputRange: Sendable, Equatable, Codable {
        public var topic: String
        public var partition: Int32
        public var firstOffset: Int64
        public var lastOffset: Int64
        public var count: Int

        public init(topic: String, partition: Int32, firstOffset: Int64, lastOffset: Int64, count: Int) {
            self.topic = topic
            self.partition = partition
            self.firstOffset = firstOffset
            self.lastOffset = lastOffset
            self.count = count
        }
    }

    public struct TopicBatch: Sendable, Equatable {
        public var topic: String
        public var count: Int
        /// RFC 6962 root over this topic's part of the batch alone, so a verifier can say which topic
        /// does not match.
        public var root: [UInt8]

        public init(topic: String, count: Int, root: [UInt8]) {
            self.topic = topic
            self.count = count
            self.root = root
        }
    }

    public struct Attribute: Sendable, Equatable, Codable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// A checkpoint as the log carries it: origin, size and root in clear, signed when a key was set.
    public struct SignedCheckpoint: Sendable, Equatable {
        public var checkpoint: Checkpoint
        public var keyID: String?
        public var signature: [UInt8]?

        public init(checkpoint: Checkpoint, keyID: String?, signature: [UInt8]?) {
            self.checkpoint = checkpoint
            self.keyID = keyID
            self.signature = signature
        }
    }

    public init(
        sequence: UInt64, inputs: [InputRange], outputs: [TopicBatch], batchRoot: [UInt8], treeSize: UInt64,
        root: [UInt8], previous: [UInt8]?, lineage: [Attribute], privacy: JSONValue?, final: Bool,
        checkpoint: SignedCheckpoint?
    ) {
        self.sequence = sequence
        self.inputs = inputs
        self.outputs = outputs
        self.batchRoot = batchRoot
        self.treeSize = treeSize
        self.root = root
        self.previous = previous
        self.lineage = lineage
        self.privacy = privacy
        self.final = final
        self.checkpoint = checkpoint
    }

    public static let eventType = "dev.steward.audit.entry.v1"

    /// The CloudEvent id of entry `sequence` of a topology's log.
    public static func eventID(topology: String, sequence: UInt64) -> String { "audit/\(topology)/\(sequence)" }

    /// SHA-256 of the entry's JSON without its checkpoint: what the checkpoint's `entry` line names.
    public var digestWithoutCheckpoint: [UInt8] {
        var unsigned = self
        unsigned.checkpoint = nil
        return Array(SHA256.hash(data: unsigned.json))
    }

    /// The entry as JSON, members in a fixed order.
    public var json: [UInt8] {
        var writer = JSONWriter(capacity: 512 + 120 * outputs.count + 120 * inputs.count)
        writer.appendASCII("{\"sequence\":")
        writer.writeInteger(Int(sequence))
        writer.appendASCII(",\"inputs\":[")
        for (index, range) in inputs.enumerated() {
            if index > 0 { writer.appendASCII(",") }
            writer.appendASCII("{\"topic\":")
            writer.writeString(range.topic)
            writer.appendASCII(",\"partition\":")
            writer.writeInteger(Int(range.partition))
            writer.appendASCII(",\"first_offset\":")
            writer.writeInteger(Int(range.firstOffset))
            writer.appendASCII(",\"last_offset\":")
            writer.writeInteger(Int(range.lastOffset))
            writer.appendASCII(",\"count\":")
            writer.writeInteger(range.count)
            writer.appendASCII("}")
        }
        writer.appendASCII("],\"outputs\":[")
        for (index, batch) in outputs.enumerated() {
            if index > 0 { writer.appendASCII(",") }
            writer.appendASCII("{\"topic\":")
            writer.writeString(batch.topic)
            writer.appendASCII(",\"count\":")
            writer.writeInteger(batch.count)
            writer.appendASCII(",\"root\":")
            writer.writeString(Hex.encode(batch.root))
            writer.appendASCII("}")
        }
        writer.appendASCII("],\"batch_root\":")
        writer.writeString(Hex.encode(batchRoot))
        writer.appendASCII(",\"tree_size\":")
        writer.writeInteger(Int(treeSize))
        writer.appendASCII(",\"root\":")
        writer.writeString(Hex.encode(root))
        writer.appendASCII(",\"previous\":")
        if let previous { writer.writeString(Hex.encode(previous)) } else { writer.appendASCII("null") }
        writer.appendASCII(",\"lineage\":{")
        for (index, attribute) in lineage.enumerated() {
            if index > 0 { writer.appendASCII(",") }
            writer.writeString(attribute.name)
            writer.appendASCII(":")
            writer.writeString(attribute.value)
        }
        writer.appendASCII("}")
        if let privacy {
            writer.appendASCII(",\"privacy\":")
            writer.write(privacy)
        }
        if final { writer.appendASCII(",\"final\":true") }
        if let checkpoint {
            writer.appendASCII(",\"checkpoint\":{\"origin\":")
            writer.writeString(checkpoint.checkpoint.origin)
            writer.appendASCII(",\"tree_size\":")
            writer.writeInteger(Int(checkpoint.checkpoint.treeSize))
            writer.appendASCII(",\"root\":")
            writer.writeString(Hex.encode(checkpoint.checkpoint.root))
            writer.appendASCII(",\"entry\":")
            writer.writeString(Hex.encode(checkpoint.checkpoint.entryDigest))
            if let keyID = checkpoint.keyID, let signature = checkpoint.signature {
                writer.appendASCII(",\"key_id\":")
                writer.writeString(keyID)
                writer.appendASCII(",\"signature\":")
                writer.writeString(Data(signature).base64EncodedString())
            }
            writer.appendASCII("}")
        }
        writer.appendASCII("}")
        return writer.bytes
    }

    /// Reads an entry back from its JSON; the error names the member that is wrong.
    public init(json value: JSONValue) throws(AuditError) {
        func member(_ object: JSONValue, _ key: String) throws(AuditError) -> JSONValue {
            guard let found = object[key] else { throw AuditError("no '\(key)'") }
            return found
        }
        func integer(_ object: JSONValue, _ key: String) throws(AuditError) -> Int64 {
            guard case .number(let text) = try member(object, key), let number = Int64(text) else {
                throw AuditError("'\(key)' is not an integer")
            }
            return number
        }
        func string(_ object: JSONValue, _ key: String) throws(AuditError) -> String {
            guard case .string(let text) = try member(object, key) else { throw AuditError("'\(key)' is not a string") }
            return text
        }
        func hash(_ object: JSONValue, _ key: String) throws(AuditError) -> [UInt8] {
            guard let bytes = Hex.decode(try string(object, key)), bytes.count == 32 else {
                throw AuditError("'\(key)' is not a SHA-256 hash in hex")
            }
            return bytes
        }
        func array(_ object: JSONValue, _ key: String) throws(AuditError) -> [JSONValue] {
            guard case .array(let elements) = try member(object, key) else {
                throw AuditError("'\(key)' is not an array")
            }
            return elements
        }
        sequence = UInt64(max(0, try integer(value, "sequence")))
        inputs = []
        for range in try array(value, "inputs") {
            inputs.append(
                InputRange(
                    topic: try string(range, "topic"),
                    partition: Int32(truncatingIfNeeded: try integer(range, "partition")),
                    firstOffset: try integer(range, "first_offset"), lastOffset: try integer(range, "last_offset"),
                    count: Int(try integer(range, "count"))))
        }
        outputs = []
        for batch in try array(value, "outputs") {
            outputs.append(
                TopicBatch(
                    topic: try string(batch, "topic"), count: Int(try integer(batch, "count")),
                    root: try hash(batch, "root")))
        }
        batchRoot = try hash(value, "batch_root")
        treeSize = UInt64(max(0, try integer(value, "tree_size")))
        root = try hash(value, "root")
        previous = try member(value, "previous") == .null ? nil : try hash(value, "previous")
        lineage = []
        if case .object(let members) = try member(value, "lineage") {
            for (name, text) in members {
                guard case .string(let text) = text else { throw AuditError("lineage '\(name)' is not a string") }
                lineage.append(Attribute(name: name, value: text))
            }
        }
        privacy = value["privacy"]
        final = value["final"] == .bool(true)
        checkpoint = nil
        if let signed = value["checkpoint"] {
            let body = Checkpoint(
                origin: try string(signed, "origin"), treeSize: UInt64(max(0, try integer(signed, "tree_size"))),
                root: try hash(signed, "root"), entryDigest: try hash(signed, "entry"))
            var signature: [UInt8]?
            if signed["signature"] != nil {
                guard let bytes = Data(base64Encoded: try string(signed, "signature")) else {
                    throw AuditError("'signature' is not base64")
                }
                signature = Array(bytes)
            }
            checkpoint = SignedCheckpoint(
                checkpoint: body, keyID: signed["key_id"]?.stringValue, signature: signature)
        }
    }
}
