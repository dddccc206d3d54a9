import EngineStages
import Foundation
import Monitoring
import Pipeline
import Prometheus
import Runtime
import TopologyYAML

func repositoryPath(_ relative: String) -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent(relative).path
}

/// A shipped topology's processor, with a test noise key.
func productProcessor(_ name: String) throws -> Processor {
    let file = repositoryPath("Topologies/\(name).yaml")
    let topology = try Topology.load(yaml: try String(contentsOfFile: file, encoding: .utf8), file: file)
    return try topology.makeProcessor(
        file: file,
        environment: EngineEnvironment(
            baseDirectory: repositoryPath("Topologies"),
            variables: ["STEWARD_NOISE_KEY": String(repeating: "5a", count: 32)],
            readFile: { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }))
}

func processor(yaml: String) throws -> Processor {
    let topology = try Topology.load(yaml: yaml, file: "t.yaml")
    return try topology.makeProcessor(
        file: "t.yaml", environment: EngineEnvironment(baseDirectory: ".", variables: [:], readFile: { _ in [] }))
}

/// Drives a processor the way the Kafka runtime does: batches of `batchSize` lines, one report each.
struct BatchDriver {
    var processor: Processor
    var offset: Int64 = 0

    mutating func run(_ lines: [ArraySlice<UInt8>], batchSize: Int, into observer: any PipelineObserver)
        -> [OutputMessage]
    {
        var all: [OutputMessage] = []
        var start = 0
        while start < lines.count {
            let batch = lines[start..<min(lines.count, start + batchSize)]
            var outputs: [OutputMessage] = []
            for line in batch {
                outputs += processor.process(
                    InputMessage(topic: processor.topology.input.topics[0], partition: 0, offset: offset, value: Array(line)))
                offset += 1
            }
            observer.batchCommitted(
                BatchReport(
                    records: batch.count, outputs: outputs, counters: processor.counters, stageTallies: tallies,
                    streamTime: processor.streamTime, duration: .milliseconds(3)))
            all += outputs
            start += batchSize
        }
        return all
    }

    var tallies: [String: [String: Int]] {
        var tallies: [String: [String: Int]] = [:]
        for stage in processor.stages {
            if let tallying = stage as? any TallyingStage { tallies[tallying.name] = tallying.tallies }
        }
        return tallies
    }
}

/// The exposition as `name{labels}` → value (labels as written, in the order written).
func samples(_ registry: PrometheusCollectorRegistry) -> [String: Double] {
    var values: [String: Double] = [:]
    for line in registry.emitToString().split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        values[String(line[..<space])] = Double(line[line.index(after: space)...])
    }
    return values
}

/// A raw-mode four-fifths topology: groups `a` and `b`, one-minute windows, alerts on the ratio.
func fourFifthsYAML(groups: (String, String) = ("a", "b")) -> String {
    """
    name: ff
    input:
      topic: ff-in
      event_time: {field: event_time}
    fairness:
      mode: raw
      sensitive: [g]
      prediction: approved
      window: {type: tumbling, size: 1m}
      watermark: {max_out_of_orderness: 1s}
      min_group_size: 20
      four_fifths: {enabled: true, threshold: 0.8, metrics: [demographic_parity_ratio]}
      alerts:
        pipeline: ff
    """
}

/// `windows` one-minute windows of 400 events alternating between two groups, approved with the
/// given rates (deterministic: every k-th event of a group).
func fourFifthsStream(groups: (String, String) = ("a", "b"), rates: (Double, Double), windows: Int) -> [ArraySlice<UInt8>] {
    var lines: [ArraySlice<UInt8>] = []
    let start: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z
    for window in 0..<windows {
        for event in 0..<400 {
            let first = event % 2 == 0
            let group = first ? groups.0 : groups.1
            let rate = first ? rates.0 : rates.1
            let index = event / 2
            let approved = Double(index % 10) < rate * 10 ? 1 : 0
            let time = start + Int64(window) * 60_000 + Int64(event) * 150
            let escaped = group.replacingOccurrences(of: "\"", with: "\\\"")
            lines.append(ArraySlice(Array("{\"event_time\":\(time),\"g\":\"\(escaped)\",\"approved\":\(approved)}".utf8)))
        }
    }
    return lines
}
