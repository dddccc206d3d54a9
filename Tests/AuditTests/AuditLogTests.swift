import Foundation
import JSON
import Runtime
import Testing

@testable import Audit
@testable import EngineStages
@testable import Pipeline

func repositoryFile(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(relative).path
}

/// The chats topology over its sample, with an audit key: the log every audit test checks.
enum AuditFixture {
    static let auditKey = String(repeating: "3c", count: 32)
    static let variables = [
        "STEWARD_NOISE_KEY": String(repeating: "5a", count: 32), "STEWARD_AUDIT_KEY": auditKey,
        "STEWARD_REDACTION_KEY": "hex:" + String(repeating: "11", count: 32),
    ]

    static func processor(every: Int? = nil, checkpointInterval: Int? = nil, variables: [String: String] = variables)
        throws -> Processor
    {
        let file = repositoryFile("Topologies/chats.yaml")
        let topology = try Topology.load(yaml: try String(contentsOfFile: file, encoding: .utf8), file: file)
        var processor = try topology.makeProcessor(
            file: file,
            environment: EngineEnvironment(
                baseDirectory: repositoryFile("Topologies"), variables: variables,
                readFile: { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }))
        if let every { processor.audit?.configuration.every = every }
        if let checkpointInterval { processor.audit?.configuration.checkpointInterval = checkpointInterval }
        return processor
    }

    static func sample(lines: Int) throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: repositoryFile("Topologies/samples/chats.jsonl")))
        return Array(Replay.lines(of: Array(data)).prefix(lines).joined(separator: [0x0A]))
    }

    /// Output topics (not the audit topic) as the verifier reads them.
    static func outputs(_ result: [String: [OutputMessage]]) -> [String: [[UInt8]]] {
        var topics: [String: [[UInt8]]] = [:]
        for (topic, messages) in result where topic != "chats.audit" { topics[topic] = messages.map(\.value) }
        return topics
    }

    static var publicKey: AuditPublicKey { try! AuditSigningKey(material: Array(auditKey.utf8)).publicKey }
}

@Suite struct AuditLogBehaviour {
    @Test func entriesAreCutEveryNInputRecordsAndOnceAtTheEnd() throws {
        let result = Replay.run(
            processor: try AuditFixture.processor(every: 100, checkpointInterval: 2),
            input: try AuditFixture.sample(lines: 450))
        let audit = result.outputs["chats.audit"]!
        #expect(audit.count == 5)
        var covered: [Int] = []
        for (index, message) in audit.enumerated() {
            let event = try JSONParser.parse(message.value)
            #expect(event["id"] == .string("audit/chats/\(index)"))
            let entry = try AuditEntry(json: event["data"]!)
            covered.append(entry.inputs.reduce(0) { $0 + $1.count })
            #expect(entry.final == (index == 4))
            // Every second entry and the final one carry a signed checkpoint.
            #expect((entry.checkpoint != nil) == (index == 1 || index == 3 || index == 4))
            #expect(entry.inputs.first?.firstOffset == Int64(index * 100))
        }
        #expect(covered == [100, 100, 100, 100, 50])
        #expect(audit.allSatisfy { $0.key == Array("chats".utf8) })
    }

    @Test func aRunEndingAtACutStillEndsWithAFinalSignedEntryAndOnlyOne() throws {
        var processor = try AuditFixture.processor(every: 50, checkpointInterval: 3)
        for (offset, line) in Replay.lines(of: try AuditFixture.sample(lines: 100)).enumerated() {
            _ = processor.process(InputMessage(topic: "chats", partition: 0, offset: Int64(offset), value: Array(line)))
        }
        let final = processor.finish()
        #expect(final.count == 1)
        let entry = try AuditEntry(json: try JSONParser.parse(final[0].value)["data"]!)
        #expect(entry.final && entry.inputs.isEmpty && entry.outputs.isEmpty && entry.sequence == 2)
        #expect(entry.checkpoint?.signature != nil)
        #expect(processor.finish().isEmpty)
        var untouched = try AuditFixture.processor()
        #expect(untouched.finish().isEmpty, "a run that saw nothing writes no entry")
    }

    @Test func theUntouchedLogVerifiesWithItsKey() throws {
        let result = Replay.run(
            processor: try AuditFixture.processor(every: 100), input: try AuditFixture.sample(lines: 450))
        var verifier = AuditVerifier(publicKey: AuditFixture.publicKey)
        let summary = try verifier.verify(
            audit: result.outputs["chats.audit"]!.map(\.value), outputs: AuditFixture.outputs(result.outputs))
        let total = AuditFixture.outputs(result.outputs).values.reduce(0) { $0 + $1.count }
        #expect(summary.outputs == UInt64(total))
        #expect(summary.endsWithFinalEntry)
        #expect(summary.signaturesChecked)
        #expect(summary.entriesAfterLastCheckpoint == 0)
    }

    @Test func replaysWriteTheSameAuditBytes() throws {
        let input = try AuditFixture.sample(lines: 700)
        let first = Replay.run(processor: try AuditFixture.processor(), input: input)
        let second = Replay.run(processor: try AuditFixture.processor(), input: input)
        #expect(first.outputs["chats.audit"]!.count == 2)
        #expect(first.outputs == second.outputs)
    }

    /// Rolling back a processor (an aborted transaction) rolls back its audit state: the re-run
    /// batch gives the same audit bytes as an uninterrupted run.
    @Test func rollingBackTheProcessorRollsBackTheAuditLog() throws {
        let lines = Replay.lines(of: try AuditFixture.sample(lines: 300))
        var straight = try AuditFixture.processor(every: 40)
        var retried = straight
        var expected: [OutputMessage] = []
        var actual: [OutputMessage] = []
        for (offset, line) in lines.enumerated() {
            let message = InputMessage(topic: "chats", partition: 0, offset: Int64(offset), value: Array(line))
            expected += straight.process(message)
            if offset % 70 == 69 {
                var aborted = retried
                _ = aborted.process(message)
                _ = aborted.process(message)
            }
            actual += retried.process(message)
        }
        expected += straight.finish()
        actual += retried.finish()
        #expect(actual == expected)
    }

    @Test func auditStateIsACodableValueThatRestoresTheLog() throws {
        let lines = Replay.lines(of: try AuditFixture.sample(lines: 260))
        var whole = try AuditFixture.processor(every: 50)
        var resumed = whole
        var expected: [OutputMessage] = []
        var actual: [OutputMessage] = []
        for (offset, line) in lines.enumerated() {
            let message = InputMessage(topic: "chats", partition: 0, offset: Int64(offset), value: Array(line))
            expected += whole.process(message)
            actual += resumed.process(message)
            if offset == 120 {
                let saved = try JSONEncoder().encode(resumed.audit!.state)
                resumed.audit!.state = AuditState()
                resumed.audit!.state = try JSONDecoder().decode(AuditState.self, from: saved)
            }
        }
        #expect(actual.filter { $0.topic == "chats.audit" } == expected.filter { $0.topic == "chats.audit" })
        #expect(resumed.audit!.state.frontier.nodes.count <= 64)
    }

    /// The state's pending leaf hashes are written as one hex string per topic (small and quick to
    /// write in every transaction), and a state written before, with arrays of numbers, still reads
    /// back to the same value.
    @Test func pendingLeavesAreWrittenAsHexAndTheOlderFormStillReads() throws {
        var state = AuditState()
        let configuration = AuditConfiguration(every: 1_000, origin: "steward/test")
        for n in 0..<5 {
            state.addOutput(topic: n % 2 == 0 ? "a.sanitized" : "a.alerts", value: Array("output \(n)".utf8))
            _ = state.recordInput(topic: "a", partition: 0, offset: Int64(n), configuration: configuration)
        }
        let json = try state.json()
        let document = try JSONParser.parse(json)
        guard case .object(let leaves)? = document["pendingLeafHashes"] else {
            Issue.record("no pendingLeafHashes in \(String(decoding: json, as: UTF8.self))")
            return
        }
        #expect(leaves.count == 2 && document["pendingLeaves"] == nil)
        #expect(leaves.first { $0.key == "a.sanitized" }?.value == .string(Hex.encode(state.pendingLeaves["a.sanitized"]!.joined())))
        #expect(try AuditState(json: json) == state)
        // The older form: the same state with `pendingLeaves` as arrays of numbers.
        var older = document
        if case .object(var members) = older {
            members.removeAll { $0.key == "pendingLeafHashes" }
            members.append(
                ("pendingLeaves", .object(state.pendingLeaves.map { topic, hashes in
                    (topic, .array(hashes.map { .array($0.map { .number(String($0)) }) }))
                })))
            older = .object(members)
        }
        #expect(try AuditState(json: JSONWriter.encode(older)) == state)
    }

    @Test func everyOutputCarriesItsLineage() throws {
        let result = Replay.run(processor: try AuditFixture.processor(), input: try AuditFixture.sample(lines: 600))
        let lineage = try AuditFixture.processor().lineage
        let topologySHA = try AuditFixture.processor().topology.canonicalSHA256
        #expect(lineage.topologySHA256 == topologySHA)
        let model = "modelsha256"
        for topic in ["chats.sanitized", "chats.dlq", "chats.aggregates", "chats.audit"] {
            #expect(result.outputs[topic]?.isEmpty == false, "\(topic)")
        }
        for (topic, messages) in result.outputs {
            for message in messages {
                let event = try JSONParser.parse(message.value)
                #expect(event["topologysha256"] == .string(topologySHA))
                #expect(event["stewardversion"] == .string(Topology.stewardVersion))
                #expect(event["policyid"] == .string(lineage.policyID!))
                #expect((event[model] != nil) == (topic == "chats.sanitized"), "\(topic)")
            }
        }
        let sanitized = try JSONParser.parse(result.outputs["chats.sanitized"]![0].value)
        let scoredBy = sanitized["data"]?["scoring"]?["model"]?["sha256"]?.stringValue
        #expect(sanitized[model]?.stringValue == scoredBy)
    }

    @Test func stewardVersionCarriesNoCommit() {
        #expect(!Topology.stewardVersion.contains("commit"))
        #expect(Topology.stewardVersion.split(separator: ".").count == 3)
    }

    @Test func thePolicyIdNamesTheRedactionKey() throws {
        var withoutKey = AuditFixture.variables
        withoutKey["STEWARD_REDACTION_KEY"] = nil
        let keyed = try AuditFixture.processor().lineage.policyID!
        let unkeyed = try AuditFixture.processor(variables: withoutKey).lineage.policyID!
        #expect(keyed.split(separator: "/")[0] == unkeyed.split(separator: "/")[0])
        #expect(unkeyed.hasSuffix("/none"))
        #expect(!keyed.hasSuffix("/none"))
    }

    @Test func checkpointsAreUnsignedWithoutAKeyAndVerifyOnlyWithoutOne() throws {
        var variables = AuditFixture.variables
        variables["STEWARD_AUDIT_KEY"] = nil
        let result = Replay.run(
            processor: try AuditFixture.processor(variables: variables), input: try AuditFixture.sample(lines: 120))
        let audit = result.outputs["chats.audit"]!.map(\.value)
        var unchecked = AuditVerifier(publicKey: nil)
        #expect(throws: Never.self) {
            try unchecked.verify(audit: audit, outputs: AuditFixture.outputs(result.outputs))
        }
        var checked = AuditVerifier(publicKey: AuditFixture.publicKey)
        #expect(throws: AuditError.self) {
            try checked.verify(audit: audit, outputs: AuditFixture.outputs(result.outputs))
        }
    }
}

@Suite struct CanonicalTopology {
    func hash(_ yaml: String) throws -> String {
        try Topology.load(yaml: yaml, file: "t.yaml").canonicalSHA256
    }

    @Test func layoutCommentsAndKeyOrderDoNotChangeTheHash() throws {
        let a = try hash(
            "name: t\ninput: {topic: in}\nredaction: {scan: [\"$.m\"], operators: {PERSON: replace, EMAIL_ADDRESS: replace}}\n"
        )
        let b = try hash(
            "# a comment\nname: t\ninput:\n  topic: in\nredaction:\n  operators:\n    EMAIL_ADDRESS: replace\n    PERSON: replace\n  scan:\n    - \"$.m\"\n"
        )
        #expect(a == b)
    }

    @Test func anyChangeOfMeaningChangesTheHash() throws {
        let base = try hash("name: t\ninput: {topic: in}\nredaction: {scan: [\"$.m\"], operators: {PERSON: replace}}\n")
        #expect(
            try hash("name: t\ninput: {topic: in}\nredaction: {scan: [\"$.m\"], operators: {PERSON: mask}}\n") != base)
        #expect(
            try hash("name: u\ninput: {topic: in}\nredaction: {scan: [\"$.m\"], operators: {PERSON: replace}}\n")
                != base)
        #expect(
            try hash("name: t\ninput: {topic: in2}\nredaction: {scan: [\"$.m\"], operators: {PERSON: replace}}\n")
                != base)
    }
}
