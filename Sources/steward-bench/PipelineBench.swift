import ArgumentParser
import CommandSupport
import EngineStages
import Foundation
import JSON
import Pipeline
import Timestamps

/// Benchmarks of the pipeline core, registered under `steward bench`.

struct PipelineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Measure the pipeline on one thread: decode, check, every engine the topology configures, CloudEvent encode.",
        discussion: """
            No broker: the cost the processor adds per record. Prints records/s and MB/s, then what the \
            records became (sanitized, dead-lettered by reason, other outputs). The default topology has no \
            engines, so the default run measures the pass-through core. Give a topology's own records with \
            --input (one JSON value a line, e.g. Topologies/samples/chats.jsonl): the generated records only \
            carry id, ts, channel, text and n, and records a topology refuses measure the dead-letter path.
            """
    )

    @Option(help: "Number of records (default: 500 000 generated, or each --input line once).")
    var records: Int?

    @Option(help: "Topology; its engines run as in `replay`.")
    var topology: String = "Topologies/passthrough.yaml"

    @Option(
        help: """
            Records to process instead of generated ones: one JSON value a line, cycled to --records. Each \
            repetition gets fresh ids and event times moved past the previous one's, so windows keep closing.
            """)
    var input: String?

    func run() throws {
        var processor = try loadProcessor(topology)
        let values: [[UInt8]]
        if let input {
            guard let data = FileManager.default.contents(atPath: input) else { throw ValidationError("cannot read \(input)") }
            values = data.split(separator: 10, omittingEmptySubsequences: true).map { Array($0) }
            guard !values.isEmpty else { throw ValidationError("\(input) has no records") }
        } else {
            let texts = [
                "Where is my order? It was due on Monday and the tracking page has not changed since Friday.",
                "My card was charged twice for one subscription, please refund the second payment.",
                "Grüße aus Köln — the app crashes when I open settings on my phone.",
            ]
            values = (0..<(records ?? 500_000)).map { index in
                let text = texts[index % texts.count]
                let value = #"{"id":"chat-\#(index)","ts":"2026-11-29T08:00:00Z","channel":"web","text":"\#(text)","n":\#(index)}"#
                return Array(value.utf8)
            }
        }
        let count = records ?? values.count
        guard count > 0 else { throw ValidationError("--records must be positive") }
        let cycled = InputCycle(values: values, eventTimeField: processor.topology.input.eventTimeField)
        let messages = (0..<count).map { index in
            InputMessage(
                topic: processor.topology.input.topics.first ?? "events", partition: 0, offset: Int64(index),
                value: cycled.value(index))
        }
        let bytes = messages.reduce(0) { $0 + $1.value.count }
        // Outputs per topic, in a short list: the topics are a handful and share their storage with the
        // topology, so a comparison is mostly a pointer check, where hashing each one cost 3–6 % of the
        // pass-through figure.
        var produced: [(topic: String, count: Int)] = []
        let start = ContinuousClock.now
        for message in messages {
            for output in processor.process(message) {
                if let k = produced.firstIndex(where: { $0.topic == output.topic }) {
                    produced[k].count += 1
                } else {
                    produced.append((output.topic, 1))
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let counters = processor.counters
        precondition(counters.consumed == count && counters.sanitized + counters.deadLettered == count)
        printLine(
            String(
                format: "pipeline: %d records (%.1f MB) in %.3f s: %.0f records/s, %.1f MB/s", count,
                Double(bytes) / 1e6, seconds, Double(count) / seconds, Double(bytes) / 1e6 / seconds))
        printLine("records: " + summaryJSON(counters))
        let topics = produced.sorted { $0.topic < $1.topic }.map { "\"\($0.topic)\":\($0.count)" }
        printLine("outputs by topic: {\(topics.joined(separator: ","))}")
        if counters.deadLettered * 2 > count {
            printLine(
                "note: most records were dead-lettered, so this measures the rejection path; "
                    + "pass --input with records that match the topology")
        } else if counters.unusedByStreamStages * 2 > count {
            printLine(
                "note: most records came too late for the stream stages' windows, so their window work is "
                    + "not measured; give records with the topology's event-time field")
        }
    }
}

/// An input repeated past its end: repetition k (from 0) keeps the records' order and spacing, with
/// `-k<k>` appended to each string `id` and the event time moved k spans later, a span being the
/// input's time range plus one mean gap. Records without the field (or without a parsable time) are
/// repeated as they are.
struct InputCycle {
    let values: [[UInt8]]
    let eventTimeField: String?
    /// Each record's event time in milliseconds, as RFC 3339 text (true) or a number (false).
    private let times: [(milliseconds: Int64, text: Bool)?]
    private let span: Int64

    init(values: [[UInt8]], eventTimeField: String?) {
        self.values = values
        self.eventTimeField = eventTimeField
        times = values.map { value in
            guard let eventTimeField, case .object(let members)? = try? JSONParser.parse(value),
                let time = members.first(where: { $0.key == eventTimeField })?.value
            else { return nil }
            switch time {
            case .string(let text): return Timestamp.parseRFC3339(text).map { ($0, true) }
            case .number(let text): return Int64(text).map { ($0, false) }
            default: return nil
            }
        }
        let known = times.compactMap { $0?.milliseconds }
        if let first = known.min(), let last = known.max(), known.count > 1 {
            span = (last - first) + max(1, (last - first) / Int64(known.count - 1))
        } else {
            span = 1000
        }
    }

    func value(_ index: Int) -> [UInt8] {
        let repetition = index / values.count
        let position = index % values.count
        guard repetition > 0 else { return values[position] }
        return Self.replacingMembers(values[position]) { key, value in
            if key == "id", case .string(let id) = value { return .string("\(id)-k\(repetition)") }
            guard key == eventTimeField, let time = times[position] else { return nil }
            let moved = time.milliseconds + Int64(repetition) * span
            return time.text ? .string(Timestamp.formatRFC3339(milliseconds: moved)) : .number(String(moved))
        }
    }

    /// The record with each top-level member `replace` gives a new value for replaced (members kept in
    /// place); a record that is not an object is returned as it is.
    static func replacingMembers(_ record: [UInt8], _ replace: (String, JSONValue) -> JSONValue?) -> [UInt8] {
        guard case .object(var members)? = try? JSONParser.parse(record) else { return record }
        for index in members.indices {
            if let value = replace(members[index].key, members[index].value) { members[index].value = value }
        }
        return JSONWriter.encode(.object(members))
    }
}
