import ArgumentParser
import Fairness
import Foundation
import Pipeline
import Yams

/// `steward fairness monitor`: the windowed monitor over a recorded JSONL stream — which alerts would have fired.
struct FairnessMonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Run the fairness monitor (windows, metrics, drift tests, alerts) over a JSONL stream.",
        discussion: """
            Prints one JSON line per closed window ("type": "fairness.window") and per alert transition \
            ("type": "fairness.alert"). In private mode this command has no privacy layer: it needs \
            --test-noise-sigma and adds TEST-ONLY Gaussian noise of that sigma to every count (no privacy \
            guarantee). Raw mode uses exact counts and marks every message "mode": "raw".
            """
    )

    @Option(help: "Topology YAML with a `fairness:` section, or the section alone (YAML or JSON).")
    var config: String

    @Option(help: "JSONL stream of records (and feedback records, which carry the feedback id and label fields).")
    var input: String

    @Option(help: "Field holding the event time in milliseconds since the epoch.")
    var eventTime = "event_time"

    @Option(help: "Keep the monitor state in this file: restored before, saved after.")
    var state: String?

    @Option(help: "Private mode only: sigma of the TEST-ONLY Gaussian noise added to each count.")
    var testNoiseSigma: Double?

    @Option(help: "Seed of the test-only noise.")
    var seed: UInt64 = 1

    @Flag(inversion: .prefixedNo, help: "Close every window at the end of the input.")
    var flush = true

    private struct Topology: Decodable {
        var fairness: FairnessConfig?
    }

    func run() async throws {
        var monitor: FairnessMonitor
        if let state, let saved = FileManager.default.contents(atPath: state) {
            monitor = try FairnessMonitor(snapshot: saved)
        } else {
            monitor = FairnessMonitor(config: try loadConfig())
        }
        let settings = monitor.config
        if settings.mode == .private && testNoiseSigma == nil {
            throw ValidationError(
                "private mode needs the privacy layer; for a test run pass --test-noise-sigma (TEST-ONLY noise), or set mode: raw"
            )
        }
        var noise = TestOnlyGaussianNoise(sigma: testNoiseSigma ?? 0, seed: seed)
        let webhook = try settings.alerts.webhook.map { try FairnessWebhook(spec: $0) }
        let noiseNote = settings.mode == .raw ? nil : "test-only gaussian sigma=\(noise.sigma)"

        func emit(_ windows: [WindowResult]) async throws {
            for window in windows {
                let counts = settings.mode == .raw ? window.exactCounts : noise.release(window)
                let evaluation = monitor.evaluate(window: window, noisyCounts: counts)
                print(FairnessJSON.text(FairnessJSON.window(evaluation, counters: monitor.counters, noise: noiseNote)))
                for alert in evaluation.alerts {
                    print(FairnessJSON.text(try FairnessJSON.alert(alert)))
                }
                try await webhook?.post(evaluation.alerts)
            }
        }

        guard let data = FileManager.default.contents(atPath: input) else {
            throw ValidationError("\(input): cannot read the file")
        }
        var lineNumber = 0
        for line in [UInt8](data).split(separator: UInt8(ascii: "\n")) {
            lineNumber += 1
            let record: JSONValue
            do { record = try JSONParser.parse(Array(line)) } catch {
                throw ValidationError("\(input):\(lineNumber): not JSON: \(error.message)")
            }
            guard let time = record[eventTime]?.doubleValue.map({ Int64($0) }) else {
                throw ValidationError("\(input):\(lineNumber): no numeric '\(eventTime)' field (ms since the epoch)")
            }
            if let predictionValue = record[settings.prediction] {
                guard let prediction = outcome(predictionValue, positive: settings.positive) else {
                    throw ValidationError("\(input):\(lineNumber): '\(settings.prediction)' is not a binary outcome")
                }
                var attributes: [String: String] = [:]
                for column in Set(settings.sensitive.flatMap(\.columns)) { attributes[column] = text(record[column]) }
                let label = settings.label.flatMap { record[$0] }.flatMap { outcome($0, positive: settings.positive) }
                let score = settings.score.flatMap { record[$0]?.doubleValue }
                let id = settings.recordId.flatMap { text(record[$0]) }
                _ = monitor.observe(
                    attributes: attributes, prediction: prediction, label: label, score: score, recordId: id,
                    eventTime: time)
            } else if let feedback = settings.feedback, let id = text(record[feedback.idField]),
                let label = record[feedback.labelField].flatMap({ outcome($0, positive: settings.positive) })
            {
                _ = monitor.observeFeedback(recordId: id, label: label, eventTime: time)
            } else {
                throw ValidationError("\(input):\(lineNumber): neither a prediction nor a feedback record")
            }
            try await emit(monitor.advance())
        }
        if flush { try await emit(monitor.flush()) }
        if let state { try monitor.snapshot().write(to: URL(fileURLWithPath: state)) }
    }

    private func loadConfig() throws -> FairnessConfig {
        guard let data = FileManager.default.contents(atPath: config) else {
            throw ValidationError("\(config): cannot read the file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let decoder = YAMLDecoder()
        do {
            if let section = try decoder.decode(Topology.self, from: text).fairness { return section }
            return try decoder.decode(FairnessConfig.self, from: text)
        } catch {
            throw ValidationError("\(config): \(error)")
        }
    }

    private func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text): text
        case .number(let lexeme): lexeme
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }

    private func outcome(_ value: JSONValue, positive: String?) -> Bool? {
        text(value).flatMap { parseOutcome($0, positive: positive) }
    }
}
