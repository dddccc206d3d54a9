import Foundation
import Redaction
import Runtime
import Testing

@testable import EngineStages
@testable import Pipeline

/// The redaction stage keeps a workspace per stage value. Copies of one processor (a worker each,
/// or the runtime's snapshot before a batch) must neither share it nor change what a record gives.
@Suite struct RedactionStageWorkspace {
    let yaml = """
        name: chats
        input: {topic: in, required: [id]}
        redaction:
          scan: ["$.text", "$.notes[*]"]
          operators: {CREDIT_CARD: {type: mask, keep_last: 4}}
          fields: [{path: "$.customer.email", operator: drop}]
        """

    static func input(_ count: Int, salt: Int) -> [UInt8] {
        let texts = [
            "Mail me at jane.doe@example.com or call +1 415 555 0132",
            "card 4111 1111 1111 1111, flying to Berlin on July 4, 2025",
            "nothing to see here, just a plain message",
            String(repeating: "ann@example.com 192.168.1.1 ", count: 40),
        ]
        var lines: [String] = []
        for k in 0..<count {
            let text = texts[(k + salt) % texts.count]
            lines.append(
                #"{"id":"c\#(k)","text":"\#(text)","notes":["\#(texts[k % texts.count])",7],"#
                    + #""customer":{"email":"x@y.org","tier":"gold"},"n":\#(k)}"#)
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    @Test func stageGivesWhatTheRedactorGivesPerRecord() throws {
        let processor = try buildProcessor(yaml)
        guard var stage = processor.stages.first as? RedactionStage else {
            Issue.record("no redaction stage")
            return
        }
        let redactor = stage.redactor
        let context = RecordContext(position: "t", eventTime: nil)
        for line in String(decoding: Self.input(60, salt: 1), as: UTF8.self).split(separator: "\n") {
            let record = try JSONParser.parse(Array(line.utf8))
            var staged = record
            try stage.process(&staged, context: context)
            #expect(staged == (try redactor.redact(record: record)))
        }
    }

    @Test func copiesOfOneProcessorRunConcurrentlyWithTheSameOutput() async throws {
        let processor = try buildProcessor(yaml)
        let inputs = (0..<4).map { Self.input(400, salt: $0) }
        let expected = inputs.map { Replay.run(processor: processor, input: $0).outputs }
        // Every task starts from a copy of the same processor, so all stages begin with one shared scratch.
        let results = await withTaskGroup(of: (Int, [String: [OutputMessage]]).self) { group in
            for (k, input) in inputs.enumerated() {
                group.addTask { (k, Replay.run(processor: processor, input: input).outputs) }
            }
            var out = [[String: [OutputMessage]]](repeating: [:], count: inputs.count)
            for await (k, outputs) in group { out[k] = outputs }
            return out
        }
        for k in inputs.indices {
            #expect(results[k] == expected[k], "run \(k) differs when copies run at the same time")
        }
    }
}
