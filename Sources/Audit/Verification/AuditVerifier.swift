import Crypto
import JSON

/// Recomputes an audit log from the outputs it covers: `steward audit verify`.
///
/// Reads the audit messages in order and, for each entry, takes the next `count` messages of each
/// output topic it names, hashes them into the entry's per-topic roots, batch root and running
/// tree, and checks the chain of audit messages and their signed checkpoints. The first
/// inconsistency ends the check and is named by CloudEvent id.
public struct AuditVerifier {
    /// What a successful check establishes.
    public struct Summary: Sendable, Equatable {
        public var entries: Int
        public var outputs: UInt64
        public var root: [UInt8]
        public var checkpoints: Int
        /// Whether the signatures were checked (a public key was given).
        public var signaturesChecked: Bool
        /// Whether the last entry is a shutdown entry (else the log may be still growing).
        public var endsWithFinalEntry: Bool
        /// Entries after the last checkpoint: chained, but not yet covered by a signature.
        public var entriesAfterLastCheckpoint: Int
    }

    /// One output as the tree holds it: where it came from and its leaf hash.
    public struct Leaf: Sendable, Equatable {
        public var topic: String
        public var index: Int
        public var hash: [UInt8]
    }

    public let publicKey: AuditPublicKey?
    /// Every leaf in tree order, filled as entries are checked (for inclusion proofs).
    public private(set) var leaves: [Leaf] = []
    /// Every checkpoint seen, in order.
    public private(set) var checkpoints: [AuditEntry.SignedCheckpoint] = []

    public init(publicKey: AuditPublicKey?) {
        self.publicKey = publicKey
    }

    /// Checks `audit` (the audit topic's messages, in order) against `outputs` (each output topic's
    /// messages, in publication order). Throws the first inconsistency.
    public mutating func verify(audit: [[UInt8]], outputs: [String: [[UInt8]]]) throws(AuditError) -> Summary {
        var cursors: [String: Int] = [:]
        var seenIDs: [String: Set<String>] = [:]
        var frontier = CompactFrontier()
        var previous: [UInt8]?
        var lastEntry: AuditEntry?
        var sinceCheckpoint = 0
        leaves = []
        checkpoints = []
        for (line, message) in audit.enumerated() {
            let (id, entry) = try Self.parse(message, line: line + 1)
            guard entry.sequence == UInt64(line) else {
                throw AuditError(
                    "audit message \(id): sequence \(entry.sequence) where \(line) was expected: an audit message was "
                        + "deleted, inserted or reordered")
            }
            guard entry.previous == previous else {
                throw AuditError(
                    "audit message \(id): the hash it records for the audit message before it does not match: that "
                        + "message was modified, deleted or reordered")
            }
            var batchLeaves: [[UInt8]] = []
            var topicsSeen: [String] = []
            for batch in entry.outputs {
                guard batch.count > 0, topicsSeen.last.map({ Self.precedes($0, batch.topic) }) ?? true else {
                    throw AuditError("audit message \(id): its output topics are not in order: it was modified")
                }
                topicsSeen.append(batch.topic)
                let messages = outputs[batch.topic] ?? []
                let start = cursors[batch.topic] ?? 0
                let end = start + batch.count
                guard end <= messages.count else {
                    throw AuditError(
                        "audit message \(id) covers \(batch.count) outputs on \(batch.topic) from position \(start + 1), "
                            + "but the topic has only \(messages.count): "
                            + (messages.count > start
                                ? "an output after \(Self.eventID(messages.last!) ?? "its last") was deleted"
                                : "outputs were deleted"))
                }
                let slice = messages[start..<end]
                let hashes = slice.map { MerkleTree.leafHash($0) }
                if MerkleTree.root(leafHashes: hashes[...]) != batch.root {
                    throw Self.diagnose(
                        entry: entry, entryID: id, topic: batch.topic, slice: slice, seen: seenIDs[batch.topic] ?? [])
                }
                for message in slice {
                    if let eventID = Self.eventID(message) { seenIDs[batch.topic, default: []].insert(eventID) }
                }
                for (offset, hash) in hashes.enumerated() {
                    leaves.append(Leaf(topic: batch.topic, index: start + offset, hash: hash))
                    frontier.append(leafHash: hash)
                }
                batchLeaves += hashes
                cursors[batch.topic] = end
            }
            guard MerkleTree.root(leafHashes: batchLeaves[...]) == entry.batchRoot else {
                throw AuditError("audit message \(id): its batch root does not match its outputs: it was modified")
            }
            guard frontier.size == entry.treeSize, frontier.root == entry.root else {
                throw AuditError(
                    "audit message \(id): its tree size or root does not match the outputs so far: it was modified")
            }
            if let signed = entry.checkpoint {
                try check(signed, entry: entry, id: id, frontier: frontier)
                checkpoints.append(signed)
                sinceCheckpoint = 0
            } else {
                sinceCheckpoint += 1
            }
            previous = Array(SHA256.hash(data: message))
            lastEntry = entry
        }
        for topic in outputs.keys.sorted() {
            let messages = outputs[topic]!
            let covered = cursors[topic] ?? 0
            if covered < messages.count {
                let name = Self.eventID(messages[covered]).map { "output \($0)" } ?? "output \(covered + 1)"
                throw AuditError(
                    "\(name) on \(topic) is not covered by the audit log: it was inserted, or the audit messages "
                        + "that cover it were deleted")
            }
        }
        if publicKey != nil && checkpoints.isEmpty {
            throw AuditError("the audit log has no signed checkpoint: its last entries were deleted")
        }
        return Summary(
            entries: audit.count, outputs: frontier.size, root: frontier.root, checkpoints: checkpoints.count,
            signaturesChecked: publicKey != nil, endsWithFinalEntry: lastEntry?.final ?? false,
            entriesAfterLastCheckpoint: sinceCheckpoint)
    }

    func check(_ signed: AuditEntry.SignedCheckpoint, entry: AuditEntry, id: String, frontier: CompactFrontier)
        throws(AuditError)
    {
        let checkpoint = signed.checkpoint
        guard checkpoint.treeSize == frontier.size, checkpoint.root == frontier.root,
            checkpoint.entryDigest == entry.digestWithoutCheckpoint
        else {
            throw AuditError("audit message \(id): its checkpoint does not match the log: it was modified")
        }
        guard let publicKey else { return }
        guard let signature = signed.signature else {
            throw AuditError("audit message \(id): its checkpoint is not signed (missing signature)")
        }
        guard signed.keyID == publicKey.keyID, publicKey.isValid(signature: signature, for: checkpoint) else {
            throw AuditError(
                "audit message \(id): its checkpoint signature is not valid for key \(publicKey.keyID) (forged or "
                    + "modified)")
        }
    }

    /// Reads one audit message and checks that it is exactly the bytes Steward writes for its entry.
    static func parse(_ message: [UInt8], line: Int) throws(AuditError) -> (id: String, entry: AuditEntry) {
        let value: JSONValue
        do { value = try JSONParser.parse(message) } catch {
            throw AuditError("audit message \(line) is not JSON: it was modified")
        }
        guard case .string(let id) = value["id"] ?? .null else {
            throw AuditError("audit message \(line) has no CloudEvent id: it was modified")
        }
        guard value["type"] == .string(AuditEntry.eventType), let data = value["data"] else {
            throw AuditError("audit message \(id) is not an audit entry: it was modified")
        }
        let entry: AuditEntry
        do { entry = try AuditEntry(json: data) } catch {
            throw AuditError("audit message \(id): \(error.description): it was modified")
        }
        guard case .string(let source) = value["source"] ?? .null, source.hasPrefix("/steward/"),
            id == AuditEntry.eventID(topology: String(source.dropFirst("/steward/".count)), sequence: entry.sequence),
            entry.checkpoint.map({ "/" + $0.checkpoint.origin == source }) ?? true
        else {
            throw AuditError("audit message \(id): its id, source and checkpoint origin disagree: it was modified")
        }
        // The exact bytes: re-encoding the parsed message and entry must give them back, and the
        // envelope must carry the entry's lineage (all but the model, which only scored records carry).
        var envelope: [(key: String, value: JSONValue)] = [
            ("specversion", .string("1.0")), ("id", .string(id)), ("source", .string(source)),
            ("type", .string(AuditEntry.eventType)),
        ]
        for attribute in entry.lineage where attribute.name != "modelsha256" {
            envelope.append((attribute.name, .string(attribute.value)))
        }
        envelope.append(("datacontenttype", .string("application/json")))
        var expected = JSONWriter.encode(.object(envelope))
        expected.removeLast()
        expected += Array(",\"data\":".utf8) + entry.json + [UInt8(ascii: "}")]
        guard expected == message else {
            throw AuditError("audit message \(id) is not as Steward writes it: it was modified")
        }
        return (id, entry)
    }

    /// The CloudEvent id of an output message, if it has one; for a message that no longer parses,
    /// the `"id":"…"` member as written, so a damaged message can still be named.
    public static func eventID(_ message: [UInt8]) -> String? {
        if let value = try? JSONParser.parse(message) {
            guard case .string(let id) = value["id"] ?? .null else { return nil }
            return id
        }
        let marker = Array(#""id":""#.utf8)
        guard let start = message.indices.first(where: { message[$0...].starts(with: marker) }) else { return nil }
        let idStart = start + marker.count
        guard let end = message[idStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: message[idStart..<end], as: UTF8.self)
    }

    static func precedes(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }

    /// Says which output of a topic's batch is wrong, as precisely as the ids allow.
    static func diagnose(
        entry: AuditEntry, entryID: String, topic: String, slice: ArraySlice<[UInt8]>, seen: Set<String>
    ) -> AuditError {
        var inBatch = Set<String>()
        var lastOffset: [String: Int64] = [:]
        for (position, message) in slice.enumerated() {
            guard (try? JSONParser.parse(message)) != nil, let id = eventID(message) else {
                let name = eventID(message).map { "output \($0)" } ?? "output \(slice.startIndex + position + 1)"
                return AuditError(
                    "\(name) on \(topic) is no longer valid JSON: it was modified (audit message \(entryID))")
            }
            if seen.contains(id) || inBatch.contains(id) {
                return AuditError("output \(id) on \(topic) appears twice: it was inserted (audit message \(entryID))")
            }
            inBatch.insert(id)
            if let position = InputPosition(id) {
                guard entry.inputs.contains(where: { position.isIn($0) }) else {
                    return AuditError(
                        "output \(id) on \(topic) does not belong to audit message \(entryID), which covers "
                            + entry.inputs.map { "\($0.topic)/\($0.partition)/\($0.firstOffset)–\($0.lastOffset)" }
                            .joined(separator: ", ") + ": an output before it was deleted, or it was inserted")
                }
                if let last = lastOffset[position.partitionKey], last > position.offset {
                    return AuditError(
                        "output \(id) on \(topic) is out of order: outputs were reordered (audit message \(entryID))")
                }
                lastOffset[position.partitionKey] = position.offset
            }
        }
        let first = eventID(slice.first!) ?? "?"
        let last = eventID(slice.last!) ?? "?"
        return AuditError(
            "the \(slice.count) outputs on \(topic) from \(first) to \(last) do not hash to the root in audit message "
                + "\(entryID): one of them was modified, or two were swapped")
    }
}

/// An output id that names an input position, `<topic>/<partition>/<offset>` (sanitized records
/// and dead letters).
struct InputPosition {
    var topic: String
    var partition: Int32
    var offset: Int64

    init?(_ id: String) {
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, let partition = Int32(parts[parts.count - 2]),
            let offset = Int64(parts[parts.count - 1])
        else { return nil }
        self.topic = parts.dropLast(2).joined(separator: "/")
        self.partition = partition
        self.offset = offset
    }

    var partitionKey: String { "\(topic)\u{0}\(partition)" }

    func isIn(_ range: AuditEntry.InputRange) -> Bool {
        range.topic == topic && range.partition == partition && (range.firstOffset...range.lastOffset).contains(offset)
    }
}
