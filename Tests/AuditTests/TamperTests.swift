import Foundation
import JSON
import Runtime
import Testing

@testable import Audit
@testable import Pipeline

/// Every single-message tampering of each kind is detected; the untouched log verifies.
@Suite struct AuditTampering {
    struct Log {
        var audit: [[UInt8]]
        var outputs: [String: [[UInt8]]]
    }

    static let log: Log = {
        let result = Replay.run(
            processor: try! AuditFixture.processor(every: 60, checkpointInterval: 2),
            input: try! AuditFixture.sample(lines: 330))
        return Log(audit: result.outputs["chats.audit"]!.map(\.value), outputs: AuditFixture.outputs(result.outputs))
    }()

    /// Nil when the log verifies, else the verifier's message.
    func failure(_ log: Log, key: AuditPublicKey? = AuditFixture.publicKey) -> String? {
        var verifier = AuditVerifier(publicKey: key)
        do {
            _ = try verifier.verify(audit: log.audit, outputs: log.outputs)
            return nil
        } catch {
            return error.description
        }
    }

    var topics: [String] { Self.log.outputs.keys.sorted().filter { !Self.log.outputs[$0]!.isEmpty } }

    @Test func theUntouchedLogVerifies() {
        #expect(Self.log.audit.count == 6)
        #expect(Set(topics) == ["chats.sanitized", "chats.aggregates", "chats.dlq"] || topics.count >= 2)
        #expect(failure(Self.log) == nil)
    }

    @Test func everyModifiedOutputIsDetectedAndNamed() {
        for topic in topics {
            for index in Self.log.outputs[topic]!.indices {
                var log = Self.log
                let original = log.outputs[topic]![index]
                // One byte of the data changed: the id stays readable.
                let position = original.count - 3
                log.outputs[topic]![index][position] ^= 0x01
                let message = failure(log)
                #expect(message != nil, "\(topic) #\(index)")
                if let id = AuditVerifier.eventID(original), let message {
                    #expect(message.contains(id) || message.contains(" to "), "\(message)")
                }
            }
        }
    }

    @Test func everyDeletedOutputIsDetected() {
        for topic in topics {
            for index in Self.log.outputs[topic]!.indices {
                var log = Self.log
                log.outputs[topic]!.remove(at: index)
                #expect(failure(log) != nil, "\(topic) #\(index)")
            }
        }
    }

    @Test func everyInsertedOutputIsDetected() {
        for topic in topics {
            for index in 0...Self.log.outputs[topic]!.count {
                var log = Self.log
                // A copy of a neighbour (a replayed message), and a forged message with a new id.
                let copy = log.outputs[topic]![max(0, index - 1)]
                log.outputs[topic]!.insert(copy, at: index)
                #expect(failure(log) != nil, "copy in \(topic) at \(index)")
                var forged = Self.log
                forged.outputs[topic]!.insert(
                    Array(#"{"specversion":"1.0","id":"chats/0/999999","source":"/steward/chats"}"#.utf8), at: index)
                #expect(failure(forged) != nil, "forged in \(topic) at \(index)")
            }
        }
    }

    @Test func everySwapOfNeighbouringOutputsIsDetected() {
        for topic in topics {
            for index in Self.log.outputs[topic]!.indices.dropLast() {
                var log = Self.log
                guard log.outputs[topic]![index] != log.outputs[topic]![index + 1] else { continue }
                log.outputs[topic]!.swapAt(index, index + 1)
                #expect(failure(log) != nil, "\(topic) #\(index)")
            }
        }
    }

    @Test func everyModifiedDeletedOrReorderedAuditMessageIsDetected() {
        for index in Self.log.audit.indices {
            for position in stride(from: 0, to: Self.log.audit[index].count, by: 7) {
                var log = Self.log
                log.audit[index][position] ^= 0x04
                #expect(failure(log) != nil, "audit \(index) byte \(position)")
            }
            var deleted = Self.log
            deleted.audit.remove(at: index)
            #expect(failure(deleted) != nil, "audit \(index) deleted")
            if index + 1 < Self.log.audit.count {
                var swapped = Self.log
                swapped.audit.swapAt(index, index + 1)
                #expect(failure(swapped) != nil, "audit \(index) swapped")
            }
        }
    }

    @Test func aMissingOrForgedSignatureIsDetected() throws {
        let otherKey = try AuditSigningKey(material: Array(String(repeating: "7e", count: 32).utf8))
        for index in Self.log.audit.indices {
            let event = try JSONParser.parse(Self.log.audit[index])
            var entry = try AuditEntry(json: event["data"]!)
            guard let signed = entry.checkpoint else { continue }
            let source = event["source"]!.stringValue!
            func reencoded(_ entry: AuditEntry) -> [UInt8] {
                CloudEvent.encode(
                    id: event["id"]!.stringValue!, source: source, type: AuditEntry.eventType, time: nil, subject: nil,
                    extensions: entry.lineage.filter { $0.name != "modelsha256" }.map {
                        .init(name: $0.name, value: $0.value)
                    },
                    data: entry.json)
            }
            #expect(reencoded(entry) == Self.log.audit[index], "the test re-encodes exactly")
            // Missing: the checkpoint without its signature, the chain re-linked after it.
            entry.checkpoint = AuditEntry.SignedCheckpoint(checkpoint: signed.checkpoint, keyID: nil, signature: nil)
            var missing = Self.log
            missing.audit = relinked(Self.log.audit, replacing: index, with: reencoded(entry))
            #expect(failure(missing)?.contains("missing signature") == true, "audit \(index)")
            #expect(failure(missing, key: nil) == nil, "without --pubkey an unsigned checkpoint is accepted")
            // Forged: signed by another key.
            entry.checkpoint = AuditEntry.SignedCheckpoint(
                checkpoint: signed.checkpoint, keyID: AuditFixture.publicKey.keyID,
                signature: otherKey.sign(signed.checkpoint))
            var forged = Self.log
            forged.audit = relinked(Self.log.audit, replacing: index, with: reencoded(entry))
            #expect(failure(forged)?.contains("not valid") == true, "audit \(index)")
        }
    }

    /// Replaces one audit message and recomputes every later message's `previous`, as a forger
    /// with no key could: only the signatures can then tell.
    func relinked(_ audit: [[UInt8]], replacing index: Int, with replacement: [UInt8]) -> [[UInt8]] {
        var result = audit
        result[index] = replacement
        guard index + 1 < audit.count else { return result }
        for later in (index + 1)..<audit.count {
            let event = try! JSONParser.parse(result[later])
            var entry = try! AuditEntry(json: event["data"]!)
            entry.previous = MerkleTree.sha256(result[later - 1])
            if var signed = entry.checkpoint {
                signed.checkpoint.entryDigest = entry.digestWithoutCheckpoint
                entry.checkpoint = signed
            }
            result[later] = CloudEvent.encode(
                id: event["id"]!.stringValue!, source: event["source"]!.stringValue!, type: AuditEntry.eventType,
                time: nil,
                subject: nil,
                extensions: entry.lineage.filter { $0.name != "modelsha256" }.map {
                    .init(name: $0.name, value: $0.value)
                },
                data: entry.json)
        }
        return result
    }
}
