import Crypto
import JSON

/// When the audit log cuts entries and signs checkpoints (the topology's `audit:` section).
public struct AuditConfiguration: Sendable, Equatable, Codable {
    /// An entry is cut after the record that brings some input partition's count since the last
    /// entry to this many; all counts then start again.
    public var every: Int
    /// Every this many entries carries a signed checkpoint (the shutdown entry always does).
    public var checkpointInterval: Int
    /// Names the log in its checkpoints: `steward/<topology name>`.
    public var origin: String

    public init(every: Int = 500, checkpointInterval: Int = 10, origin: String) {
        self.every = every
        self.checkpointInterval = checkpointInterval
        self.origin = origin
    }
}

/// The audit log's stream state: a value, so it is copied, rolled back and snapshotted with the
/// processor that owns it. Holds no secret (the signing key is passed to `cut`).
public struct AuditState: Sendable, Equatable, Codable {
    /// The tree over every output so far, as its frontier.
    public internal(set) var frontier = CompactFrontier()
    /// The sequence number the next entry gets.
    public internal(set) var nextSequence: UInt64 = 0
    /// SHA-256 of the last audit message published; nil before the first.
    public internal(set) var chainHead: [UInt8]?
    /// Leaf hashes of the outputs since the last entry, per output topic.
    public internal(set) var pendingLeaves: [String: [[UInt8]]] = [:]
    /// Input since the last entry, per input partition, in (topic, partition) order.
    public internal(set) var pendingInputs: [AuditEntry.InputRange] = []
    public internal(set) var entriesSinceCheckpoint = 0
    /// Whether the last entry cut was a final one (so a shutdown with nothing new adds none).
    public internal(set) var lastEntryFinal = false

    public init() {}

    /// Notes one output message: its leaf hash joins the pending batch.
    public mutating func addOutput(topic: String, value: [UInt8]) {
        pendingLeaves[topic, default: []].append(MerkleTree.leafHash(value))
    }

    /// Notes one input record (after its outputs); returns true when an entry is due.
    public mutating func recordInput(
        topic: String, partition: Int32, offset: Int64, configuration: AuditConfiguration
    ) -> Bool {
        let position = pendingInputs.firstIndex { ($0.topic, $0.partition) >= (topic, partition) }
        if let position, pendingInputs[position].topic == topic, pendingInputs[position].partition == partition {
            pendingInputs[position].lastOffset = offset
            pendingInputs[position].count += 1
            return pendingInputs[position].count >= configuration.every
        }
        pendingInputs.insert(
            AuditEntry.InputRange(
                topic: topic, partition: partition, firstOffset: offset, lastOffset: offset, count: 1),
            at: position ?? pendingInputs.endIndex)
        return 1 >= configuration.every
    }

    /// Whether a shutdown should cut a final entry: there is input not yet covered, or the log has
    /// entries and the last is not final. A run that saw nothing writes none.
    public var needsFinalEntry: Bool {
        !pendingInputs.isEmpty || !pendingLeaves.isEmpty || (nextSequence > 0 && !lastEntryFinal)
    }

    /// Closes the pending batch into an entry: appends its leaves to the tree and, every
    /// `checkpointInterval` entries or when `final`, signs a checkpoint. The caller publishes the
    /// entry and then calls `chain(to:)` with the published bytes.
    public mutating func cut(
        final: Bool, lineage: [AuditEntry.Attribute], privacy: JSONValue?, configuration: AuditConfiguration,
        signingKey: AuditSigningKey?
    ) -> AuditEntry {
        var batches: [AuditEntry.TopicBatch] = []
        var batchLeaves: [[UInt8]] = []
        for topic in pendingLeaves.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let leaves = pendingLeaves[topic]!
            batches.append(
                AuditEntry.TopicBatch(topic: topic, count: leaves.count, root: MerkleTree.root(leafHashes: leaves[...]))
            )
            batchLeaves += leaves
            for leaf in leaves { frontier.append(leafHash: leaf) }
        }
        entriesSinceCheckpoint += 1
        var entry = AuditEntry(
            sequence: nextSequence, inputs: pendingInputs, outputs: batches,
            batchRoot: MerkleTree.root(leafHashes: batchLeaves[...]), treeSize: frontier.size, root: frontier.root,
            previous: chainHead, lineage: lineage, privacy: privacy, final: final, checkpoint: nil)
        if final || entriesSinceCheckpoint >= configuration.checkpointInterval {
            let checkpoint = Checkpoint(
                origin: configuration.origin, treeSize: frontier.size, root: frontier.root,
                entryDigest: entry.digestWithoutCheckpoint)
            entry.checkpoint = AuditEntry.SignedCheckpoint(
                checkpoint: checkpoint, keyID: signingKey?.publicKey.keyID, signature: signingKey?.sign(checkpoint))
            entriesSinceCheckpoint = 0
        }
        nextSequence += 1
        pendingLeaves = [:]
        pendingInputs = []
        lastEntryFinal = final
        return entry
    }

    /// Links the chain to the audit message just published.
    public mutating func chain(to message: [UInt8]) {
        chainHead = Array(SHA256.hash(data: message))
    }
}
