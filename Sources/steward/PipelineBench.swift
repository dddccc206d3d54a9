import ArgumentParser
import Foundation
import Pipeline

/// Benchmarks of the pipeline core, registered under `steward bench`.
var coreBenchCommands: [any ParsableCommand.Type] { [PipelineBench.self] }

struct PipelineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Measure the pass-through core (decode, check, CloudEvent encode) on generated records.",
        discussion: "Single thread, no broker: the cost the core adds per record. Prints records/s and MB/s."
    )

    @Option(help: "Number of records.")
    var records: Int = 500_000

    @Option(help: "Topology (default: Topologies/passthrough.yaml).")
    var topology: String = "Topologies/passthrough.yaml"

    func run() throws {
        let topology = try loadTopology(self.topology)
        let texts = [
            "Where is my order? It was due on Monday and the tracking page has not changed since Friday.",
            "My card was charged twice for one subscription, please refund the second payment.",
            "Grüße aus Köln — the app crashes when I open settings on my phone.",
        ]
        let messages = (0..<records).map { index in
            let text = texts[index % texts.count]
            let value = #"{"id":"chat-\#(index)","ts":"2026-11-29T08:00:00Z","channel":"web","text":"\#(text)","n":\#(index)}"#
            return InputMessage(topic: "events", partition: 0, offset: Int64(index), value: Array(value.utf8))
        }
        let bytes = messages.reduce(0) { $0 + $1.value.count }
        var processor = Processor(topology: topology)
        var produced = 0
        let start = ContinuousClock.now
        for message in messages {
            produced += processor.process(message).count
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        precondition(produced == records)
        printLine(
            String(
                format: "pipeline: %d records (%.1f MB) in %.3f s: %.0f records/s, %.1f MB/s", records,
                Double(bytes) / 1e6, seconds, Double(records) / seconds, Double(bytes) / 1e6 / seconds))
    }
}
