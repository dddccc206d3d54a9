import Foundation

extension AuditState {
    /// The state as JSON, for the processor's snapshot (the changelog).
    public func json() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(self))
    }

    /// A state from `json()`.
    public init(json: [UInt8]) throws {
        self = try JSONDecoder().decode(AuditState.self, from: Data(json))
    }
}

/// The state's Codable form. The pending leaf hashes (32 bytes each, up to a few thousand between
/// entries) go out as one hex string per topic: the state is written to the changelog in every
/// transaction, and as arrays of numbers they made that write grow to a few hundred KB and tens of
/// milliseconds before each entry. States written before (`pendingLeaves`, arrays of numbers) are
/// still read.
extension AuditState {
    /// SHA-256: every leaf hash's length.
    static let leafHashSize = 32

    enum CodingKeys: String, CodingKey {
        case frontier, nextSequence, chainHead, pendingLeafHashes, pendingLeaves, pendingInputs,
            entriesSinceCheckpoint, lastEntryFinal
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        frontier = try container.decode(CompactFrontier.self, forKey: .frontier)
        nextSequence = try container.decode(UInt64.self, forKey: .nextSequence)
        chainHead = try container.decodeIfPresent([UInt8].self, forKey: .chainHead)
        if let packed = try container.decodeIfPresent([String: String].self, forKey: .pendingLeafHashes) {
            pendingLeaves = try packed.mapValues { text in
                guard let bytes = Hex.decode(text), bytes.count % Self.leafHashSize == 0 else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .pendingLeafHashes, in: container, debugDescription: "not 32-byte hashes in hex")
                }
                return stride(from: 0, to: bytes.count, by: Self.leafHashSize).map {
                    Array(bytes[$0..<($0 + Self.leafHashSize)])
                }
            }
        } else {
            pendingLeaves = try container.decodeIfPresent([String: [[UInt8]]].self, forKey: .pendingLeaves) ?? [:]
        }
        pendingInputs = try container.decode([AuditEntry.InputRange].self, forKey: .pendingInputs)
        entriesSinceCheckpoint = try container.decode(Int.self, forKey: .entriesSinceCheckpoint)
        lastEntryFinal = try container.decode(Bool.self, forKey: .lastEntryFinal)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(frontier, forKey: .frontier)
        try container.encode(nextSequence, forKey: .nextSequence)
        try container.encodeIfPresent(chainHead, forKey: .chainHead)
        try container.encode(pendingLeaves.mapValues { Hex.encode($0.joined()) }, forKey: .pendingLeafHashes)
        try container.encode(pendingInputs, forKey: .pendingInputs)
        try container.encode(entriesSinceCheckpoint, forKey: .entriesSinceCheckpoint)
        try container.encode(lastEntryFinal, forKey: .lastEntryFinal)
    }
}
