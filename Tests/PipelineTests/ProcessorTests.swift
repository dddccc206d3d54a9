import Foundation
import Runtime
import Testing

@testable import EngineStages
@testable import Pipeline

@Suite struct ProcessorBehaviour {
    let topology = Topology(
        name: "t",
        input: .init(
            topics: ["in"], maxMessageBytes: 200, requiredFields: ["id"],
            fieldTypes: [.init(field: "id", type: .string), .init(field: "n", type: .integer)],
            eventTimeField: "ts", subjectField: "id"))

    func process(_ text: String, offset: Int64 = 5) -> OutputMessage {
        var processor = Processor(topology: topology)
        let outputs = processor.process(InputMessage(topic: "in", partition: 2, offset: offset, key: [1], value: Array(text.utf8)))
        #expect(outputs.count == 1)
        return outputs[0]
    }

    func json(_ message: OutputMessage) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(message.value)) as! [String: Any]
    }

    @Test func passesValidRecordsThroughAsCloudEvents() throws {
        let message = process(#"{"id":"a1","ts":"2026-01-02T03:04:05Z","n":3,"x":1.50}"#)
        #expect(message.topic == "t.sanitized")
        #expect(message.key == [1])
        #expect(
            String(decoding: message.value, as: UTF8.self)
                == #"{"specversion":"1.0","id":"in/2/5","source":"/steward/t","type":"dev.steward.record.sanitized.v1","time":"2026-01-02T03:04:05.000Z","subject":"a1","datacontenttype":"application/json","data":{"id":"a1","ts":"2026-01-02T03:04:05Z","n":3,"x":1.50}}"#
        )
    }

    @Test(arguments: [
        (#"{"id":"a","text":"caf\#u{FFFD}"}"#, "ok"),
        (#"{"id": "a", "#, "invalid_json"),
        (#"{"text":"no id"}"#, "missing_field"),
        (#"{"id":null}"#, "missing_field"),
        (#"{"id":7}"#, "wrong_type"),
        (#"{"id":"a","n":1.5}"#, "wrong_type"),
        (#"["id"]"#, "wrong_type"),
        (#"{"id":"a","ts":"soon"}"#, "invalid_timestamp"),
        (#"{"id":"a","ts":true}"#, "wrong_type"),
        (#"{"id":"a","pad":"\#(String(repeating: "x", count: 300))"}"#, "too_large"),
    ])
    func deadLettersCarryAStableReason(_ text: String, _ reason: String) throws {
        let message = process(text)
        if reason == "ok" {
            #expect(message.topic == "t.sanitized")
            return
        }
        #expect(message.topic == "t.dlq")
        let event = try json(message)
        #expect(event["type"] as? String == "dev.steward.record.deadletter.v1")
        #expect(event["id"] as? String == "in/2/5")
        let data = event["data"] as! [String: Any]
        #expect(data["reason"] as? String == reason)
        #expect(data["original"] as? String == text)
        #expect(data["topic"] as? String == "in")
        #expect(data["partition"] as? Int == 2)
        #expect(data["offset"] as? Int == 5)
        // The detail explains without quoting the record.
        let detail = data["detail"] as! String
        #expect(!detail.contains("no id") && !detail.contains("soon") && !detail.contains("xxxx"))
    }

    @Test func invalidUTF8KeepsTheOriginalAsBase64() throws {
        var processor = Processor(topology: topology)
        let bytes: [UInt8] = Array(#"{"id":"caf"#.utf8) + [0xE9] + Array(#""}"#.utf8)
        let message = processor.process(InputMessage(topic: "in", partition: 0, offset: 0, value: bytes))[0]
        let data = try json(message)["data"] as! [String: Any]
        #expect(data["reason"] as? String == "invalid_utf8")
        #expect(Data(base64Encoded: data["original_base64"] as! String) == Data(bytes))
        #expect(data["original"] == nil)
    }

    @Test func countsEveryInputAsProcessedOrDeadLettered() {
        var processor = Processor(topology: topology)
        var generator = SplitMix(seed: 11)
        for offset in 0..<2000 {
            let bytes = (0..<Int(generator.next() % 40)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let good = Array(#"{"id":"x\#(offset)"}"#.utf8)
            let outputs = processor.process(
                InputMessage(topic: "in", partition: 0, offset: Int64(offset), value: offset % 2 == 0 ? good : bytes))
            #expect(outputs.count == 1)
        }
        let counters = processor.counters
        #expect(counters.consumed == 2000)
        #expect(counters.sanitized + counters.deadLettered == 2000)
        #expect(counters.deadLettersByReason.values.reduce(0, +) == counters.deadLettered)
    }
}

@Suite struct ReplayBehaviour {
    @Test func replayIsDeterministicAndLineExact() throws {
        let topology = Topology(name: "r", input: .init(topics: ["in"]))
        let input = Array("{\"id\":1}\n\nnot json\r\n{\"id\":2}".utf8)
        let first = Replay.run(topology: topology, input: input)
        let second = Replay.run(topology: topology, input: input)
        #expect(first.outputs == second.outputs)
        #expect(first.counters.consumed == 4)
        #expect(first.outputs["r.sanitized"]?.count == 2)
        #expect(first.outputs["r.dlq"]?.count == 2)
        let offsets = try first.outputs["r.sanitized"]!.map {
            (try JSONSerialization.jsonObject(with: Data($0.value)) as! [String: Any])["id"] as! String
        }
        #expect(offsets == ["in/0/0", "in/0/3"])
    }

    @Test func shippedSamplesReplayToTheExpectedSplit() throws {
        let topology = try Topology.load(
            yaml: try String(contentsOfFile: repositoryPath("Topologies/passthrough.yaml"), encoding: .utf8), file: "p")
        let input = try Data(contentsOf: URL(fileURLWithPath: repositoryPath("Topologies/samples/passthrough.jsonl")))
        let result = Replay.run(topology: topology, input: Array(input))
        #expect(result.counters.consumed == 23)
        #expect(result.counters.deadLettered == 6)
        #expect(Set(result.counters.deadLettersByReason.keys) == ["invalid_json", "invalid_utf8", "missing_field", "wrong_type", "invalid_timestamp"])
    }
}
