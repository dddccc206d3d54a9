import ArgumentParser
import EngineStages
import Fairness
import Foundation
import Logging
import Pipeline
import Runtime

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
        let stage = try makeStage()
        let config = stage.monitor.config
        var logger = Logger(label: "steward.alerts")
        logger.logLevel = .warning
        let routingKey = ProcessInfo.processInfo.environment["STEWARD_PAGERDUTY_ROUTING_KEY"]
        let webhook = try config.alerts.webhook.map {
            try AlertDelivery(spec: $0, options: .init(pagerDutyRoutingKey: routingKey), logger: logger)
        }
        guard let data = FileManager.default.contents(atPath: input) else {
            throw ValidationError("\(input): cannot read the file")
        }
        var fairness = stage
        func emit(_ emissions: [Emission]) async throws {
            var alerts: [AlertEvent] = []
            for emission in emissions {
                switch emission.output {
                case .aggregates, .alerts:
                    print(String(decoding: emission.data, as: UTF8.self))
                    if let alert = emission.notice as? AlertEvent { alerts.append(alert) }
                case .deadLetter, .audit:
                    break
                }
            }
            await webhook?.post(alerts)
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
            let context = RecordContext(position: "\(input):\(lineNumber)", eventTime: time)
            // The pipeline's own stage: what a record may hold, dotted paths included, is the same.
            for rejected in fairness.observe(record, context: context) where rejected.output == .deadLetter {
                let reason = Self.field("reason", of: rejected)
                // A record later than every open window is left out, as the pipeline leaves it out of the counts.
                guard reason != DeadLetterReason.lateEvent.rawValue else { continue }
                throw ValidationError("\(input):\(lineNumber): \(Self.field("detail", of: rejected) ?? reason ?? "rejected")")
            }
            try await emit(fairness.advance(streamTime: time))
        }
        if flush { try await emit(fairness.flush()) }
        if let state { try fairness.monitor.snapshot().write(to: URL(fileURLWithPath: state)) }
    }

    /// The fairness stage as the pipeline builds it, with exact counts (raw mode) or TEST-ONLY noise in
    /// place of the privacy layer, continuing from `--state` when that file exists.
    private func makeStage() throws -> FairnessStage {
        let monitor: FairnessMonitor
        if let state, let saved = FileManager.default.contents(atPath: state) {
            monitor = try FairnessMonitor(snapshot: saved)
        } else {
            monitor = FairnessMonitor(config: try loadConfig())
        }
        let release: FairnessStage.CountRelease
        switch monitor.config.mode {
        case .raw:
            release = FairnessStage.ExactRelease()
        case .private:
            guard let testNoiseSigma else {
                throw ValidationError(
                    "private mode needs the privacy layer; for a test run pass --test-noise-sigma (TEST-ONLY noise), or set mode: raw"
                )
            }
            release = TestNoiseRelease(noise: TestOnlyGaussianNoise(sigma: testNoiseSigma, seed: seed))
        }
        return FairnessStage(monitor: monitor, topologyName: "monitor", release: release)
    }

    private func loadConfig() throws -> FairnessConfig {
        guard let data = FileManager.default.contents(atPath: config) else {
            throw ValidationError("\(config): cannot read the file")
        }
        do {
            return try FairnessConfig.fromTopology(yaml: String(decoding: data, as: UTF8.self))
        } catch let error as EngineConfigurationError {
            throw ValidationError(error.located(in: config))
        } catch {
            throw ValidationError("\(config): \(error)")
        }
    }

    private static func field(_ name: String, of emission: Emission) -> String? {
        guard case .string(let text)? = (try? JSONParser.parse(emission.data))?[name] else { return nil }
        return text
    }
}
