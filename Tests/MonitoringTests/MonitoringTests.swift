import AsyncHTTPClient
import EngineStages
import Fairness
import Foundation
import JSON
import Logging
import Monitoring
import NIOCore
import NIOHTTP1
import Pipeline
import Privacy
import Prometheus
import Runtime
import ServiceLifecycle
import Testing

@Suite struct PipelineMetricsTests {
    /// `lines`: only the sample's first lines (nil: all of it).
    func chatsRun(batchSize: Int, lines: Int? = nil) throws -> (registry: PrometheusCollectorRegistry, metrics: PipelineMetrics, driver: BatchDriver, outputs: [OutputMessage]) {
        let registry = PrometheusCollectorRegistry()
        let metrics = PipelineMetrics(
            topology: "chats", readiness: Readiness(), factory: DocumentedPrometheusFactory(registry: registry))
        var driver = BatchDriver(processor: try productProcessor("chats"))
        let data = try Data(contentsOf: URL(fileURLWithPath: repositoryPath("Topologies/samples/chats.jsonl")))
        let outputs = driver.run(Array(Replay.lines(of: Array(data)).prefix(lines ?? .max)), batchSize: batchSize, into: metrics)
        return (registry, metrics, driver, outputs)
    }

    @Test func knownLabelsAreExposedAtZeroBeforeTheFirstOccurrence() {
        let registry = PrometheusCollectorRegistry()
        _ = PipelineMetrics(
            topology: "chats", readiness: Readiness(), factory: DocumentedPrometheusFactory(registry: registry))
        let values = samples(registry)
        for reason in DeadLetterReason.allCases {
            #expect(values["steward_records_dead_lettered_total{topology=\"chats\",reason=\"\(reason.rawValue)\"}"] == 0)
        }
        #expect(values["steward_alert_transitions_total{topology=\"chats\",status=\"firing\"}"] == 0)
        #expect(values["steward_alert_transitions_total{topology=\"chats\",status=\"resolved\"}"] == 0)
    }

    @Test func countersAreWhatTheProcessorDidWhateverTheBatchSize() throws {
        for batchSize in [1_000, 37] {
            let (registry, _, driver, outputs) = try chatsRun(batchSize: batchSize)
            let values = samples(registry)
            let counters = driver.processor.counters
            #expect(values["steward_records_consumed_total{topology=\"chats\"}"] == Double(counters.consumed))
            #expect(values["steward_records_sanitized_total{topology=\"chats\"}"] == Double(counters.sanitized))
            #expect(counters.deadLettered > 0)
            for (reason, count) in counters.deadLettersByReason {
                #expect(values["steward_records_dead_lettered_total{topology=\"chats\",reason=\"\(reason)\"}"] == Double(count))
            }
            for topic in Set(outputs.map(\.topic)) {
                #expect(
                    values["steward_outputs_total{topology=\"chats\",topic=\"\(topic)\"}"]
                        == Double(outputs.filter { $0.topic == topic }.count))
            }
            let batches = (counters.consumed + batchSize - 1) / batchSize
            #expect(values["steward_transactions_committed_total{topology=\"chats\"}"] == Double(batches))
            #expect(values["steward_batch_duration_seconds_count{topology=\"chats\"}"] == Double(batches))
            // Each redacted e-mail address leaves one placeholder in the sanitized text.
            let sanitized = outputs.filter { $0.topic == "chats.sanitized" }
                .map { String(decoding: $0.value, as: UTF8.self) }.joined()
            let placeholders = sanitized.components(separatedBy: "<EMAIL_ADDRESS>").count - 1
            #expect(placeholders > 0)
            #expect(values["steward_redactions_total{topology=\"chats\",entity=\"EMAIL_ADDRESS\"}"] == Double(placeholders))
        }
    }

    @Test func fairnessGaugesAreTheLatestPublishedNoisyValuesAndTheBudget() throws {
        // The sample's first 600 lines close its first window only, whose groups have enough people
        // for a value (later windows of the sample count few people: each is counted in one window
        // per epoch, privacy.max_windows_per_user).
        let (registry, _, _, outputs) = try chatsRun(batchSize: 250, lines: 600)
        let values = samples(registry)
        let last = try #require(
            outputs.last {
                $0.topic == "chats.aggregates"
                    && String(decoding: $0.value, as: UTF8.self).contains("dev.steward.fairness.window.v1")
            })
        // The project's parser keeps number lexemes exactly (Foundation's rounds the last digit).
        let data = try #require(try JSONParser.parse(last.value)["data"])
        guard case .object(let attributes)? = data["attributes"] else { Issue.record("no attributes"); return }
        var checked = 0
        for (attribute, report) in attributes {
            guard case .object(let groups)? = report["by_group"] else { Issue.record("no groups"); return }
            for (group, metrics) in groups {
                let rate = try #require(metrics["selection_rate"])
                let key = "{topology=\"chats\",attribute=\"\(attribute)\",group=\"\(group)\",metric=\"selection_rate\"}"
                if let published = rate["value"]?.doubleValue {
                    #expect(values["steward_fairness_group_metric" + key] == published)
                    #expect(values["steward_fairness_group_metric_stderr" + key] == rate["stderr"]?.doubleValue)
                    checked += 1
                } else {
                    #expect(values["steward_fairness_group_metric" + key]?.isNaN == true)
                }
            }
        }
        #expect(checked > 0)
        // The topology's total per person per epoch: the fairness windows' 0.19 per series × 6
        // series families, plus the escalations-per-channel aggregate's 0.19.
        let privacy = try #require(data["privacy"])
        #expect(privacy["rho_spent"]?.doubleValue == 1.14)
        #expect(values["steward_privacy_rho_spent{topology=\"chats\"}"] == 1.33)
        #expect(values["steward_privacy_epsilon_spent{topology=\"chats\"}"] == Accountant.epsilon(rho: 1.33, delta: 1e-6))
        let end = try #require(data["window"]?["end"]?.doubleValue)
        #expect(values["steward_fairness_window_end_timestamp_seconds{topology=\"chats\"}"] == end / 1000)
    }

    @Test func anAbortedBatchCountsNoRecordsAndEveryMetricHasHelp() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = PipelineMetrics(
            topology: "t", readiness: Readiness(), factory: DocumentedPrometheusFactory(registry: registry),
            deliveryFailures: { 3 })
        metrics.batchAborted(
            BatchReport(records: 5, outputs: [], counters: .init(), stageTallies: [:], streamTime: nil, duration: .seconds(1)))
        metrics.refresh()
        let values = samples(registry)
        #expect(values["steward_transactions_aborted_total{topology=\"t\"}"] == 1)
        #expect(values["steward_records_consumed_total{topology=\"t\"}"] == 0)
        #expect(values["steward_alert_deliveries_failed_total{topology=\"t\"}"] == 3)
        #expect(values["steward_ready{topology=\"t\"}"] == 0)
        #expect(values["steward_state_restore_progress_ratio{topology=\"t\"}"] == 1)
        let text = registry.emitToString()
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let name = line.split(separator: " ")[2]
            #expect(text.contains("# HELP \(name) "), "no help for \(name)")
            #expect(name.hasPrefix("steward_"))
            if line.hasSuffix(" counter") { #expect(name.hasSuffix("_total")) }
        }
    }

    @Test func eventTimeLagIsNowMinusTheLatestEventTime() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = PipelineMetrics(
            topology: "t", readiness: Readiness(), factory: DocumentedPrometheusFactory(registry: registry))
        metrics.batchCommitted(
            BatchReport(records: 1, outputs: [], counters: .init(), stageTallies: [:], streamTime: 1_000_000, duration: .zero))
        metrics.refresh(now: Date(timeIntervalSince1970: 1_250))
        #expect(samples(registry)["steward_event_time_lag_seconds{topology=\"t\"}"] == 250)
    }

    /// Partition -1 is librdkafka's internal queue for messages not yet assigned a partition: left
    /// out whatever its lag says.
    @Test func consumerLagComesFromLibrdkafkaStatistics() throws {
        let json = #"""
            {"name":"rdkafka#consumer-1","type":"consumer","ts":1,"topics":{
              "in":{"topic":"in","partitions":{
                "0":{"partition":0,"consumer_lag":12,"hi_offset":40,"committed_offset":28},
                "1":{"partition":1,"consumer_lag":-1},
                "-1":{"partition":-1,"consumer_lag":0}}},
              "other":{"topic":"other","partitions":{"3":{"partition":3,"consumer_lag":0}}}}}
            """#
        let lags = KafkaStatistics.consumerLag(Array(json.utf8))
        #expect(
            lags == [
                .init(topic: "in", partition: 0, lag: 12), .init(topic: "other", partition: 3, lag: 0),
            ])
        let registry = PrometheusCollectorRegistry()
        let metrics = PipelineMetrics(
            topology: "t", readiness: Readiness(), factory: DocumentedPrometheusFactory(registry: registry))
        metrics.kafkaStatistics(Array(json.utf8))
        #expect(samples(registry)["steward_consumer_lag_messages{topology=\"t\",topic=\"in\",partition=\"0\"}"] == 12)
        #expect(KafkaStatistics.consumerLag(Array("not json".utf8)).isEmpty)
    }
}

@Suite struct ReadinessTests {
    @Test func readyOnlyWhenEveryConditionIsMet() {
        let readiness = Readiness(waitingFor: [.partitionsAssigned, .stateRestored])
        #expect(!readiness.isReady && readiness.restoreProgress == 0)
        readiness.satisfy(.partitionsAssigned)
        #expect(!readiness.isReady && readiness.pending == [.stateRestored])
        readiness.setRestoreProgress(0.5)
        #expect(readiness.restoreProgress == 0.5)
        readiness.satisfy(.stateRestored)
        #expect(readiness.isReady && readiness.restoreProgress == 1)
        readiness.hold(.stateRestored)
        #expect(!readiness.isReady)
    }
}

@Suite struct StatusPageTests {
    func fourFifthsMetrics(groups: (String, String)) throws -> PipelineMetrics {
        let metrics = PipelineMetrics(
            topology: "ff", readiness: Readiness(), factory: DocumentedPrometheusFactory(registry: PrometheusCollectorRegistry()))
        var driver = BatchDriver(processor: try processor(yaml: fourFifthsYAML()))
        _ = driver.run(fourFifthsStream(groups: groups, rates: (0.9, 0.3), windows: 3), batchSize: 100, into: metrics)
        return metrics
    }

    @Test func showsGroupsFiringAlertsAndEscapesRecordText() throws {
        let metrics = try fourFifthsMetrics(groups: ("a", "<i>b</i>"))
        let snapshot = metrics.snapshot()
        #expect(snapshot.firing.count == 1)
        let page = StatusPage.render([snapshot])
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<meta http-equiv=\"refresh\""))
        #expect(page.contains("<svg class=\"groups\""))
        // Groups in key order ("<" sorts before "a"), their text escaped.
        #expect(page.contains("<text class=\"group\" x=\"0\" y=\"20\">&lt;i&gt;b&lt;/i&gt;</text>"))
        #expect(page.contains("<text class=\"group\" x=\"0\" y=\"46\">a</text>"))
        #expect(!page.contains("<i>b</i>"))
        let firing = try #require(page.range(of: "<table id=\"alerts-firing\">"))
        let table = page[firing.upperBound...].prefix { $0 != "\n" }
        #expect(table.contains("<tr class=\"firing\"><td>\(snapshot.firing.keys.first!)</td>"))
        // Self-contained: no script and no external reference.
        #expect(!page.contains("<script") && !page.contains("src=") && !page.contains("href="))
    }

    /// The shipped chats topology's drift test has an infinite threshold until its 36 reference windows
    /// closed; the page once turned that into Int(NaN) and crashed the process serving it.
    @Test func showsDriftTestsStillLearningTheirReference() throws {
        let metrics = PipelineMetrics(
            topology: "chats", readiness: Readiness(), factory: DocumentedPrometheusFactory(registry: PrometheusCollectorRegistry()))
        var driver = BatchDriver(processor: try productProcessor("chats"))
        let data = try Data(contentsOf: URL(fileURLWithPath: repositoryPath("Topologies/samples/chats.jsonl")))
        _ = driver.run(Replay.lines(of: Array(data)), batchSize: 500, into: metrics)
        let drift = try #require(metrics.snapshot().windows.last?.evaluation.drift.first)
        #expect(drift.phase == .learning && drift.threshold == .infinity)
        let page = StatusPage.render([metrics.snapshot()])
        #expect(page.contains("<svg class=\"drift\""))
        #expect(page.contains(" / – (learning)</text>"))
    }

    @Test func fairGroupsFireNothing() throws {
        let snapshot = try fourFifthsMetrics(groups: ("a", "b")).snapshot()
        #expect(!snapshot.windows.isEmpty)
        let fair = PipelineMetrics(
            topology: "ff", readiness: Readiness(), factory: DocumentedPrometheusFactory(registry: PrometheusCollectorRegistry()))
        var driver = BatchDriver(processor: try processor(yaml: fourFifthsYAML()))
        _ = driver.run(fourFifthsStream(rates: (0.5, 0.5), windows: 3), batchSize: 100, into: fair)
        let page = StatusPage.render([fair.snapshot()])
        #expect(page.contains("No alert is firing."))
        #expect(!page.contains("<tr class=\"firing\">") && !page.contains("alerts-firing"))
    }
}

@Suite struct HTTPServiceTests {
    @Test func servesHealthReadinessMetricsAndThePage() async throws {
        let registry = PrometheusCollectorRegistry()
        let readiness = Readiness()
        let metrics = PipelineMetrics(
            topology: "web", readiness: readiness, factory: DocumentedPrometheusFactory(registry: registry))
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let service = HTTPService(
            options: .init(host: "127.0.0.1", port: 0), registry: registry, topologies: [metrics], logger: logger,
            onRunning: { continuation.yield($0) })
        let group = ServiceGroup(services: [service], logger: logger)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            func get(_ path: String) async throws -> (Int, String, String?) {
                let response = try await client.execute(
                    HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(10))
                let body = try await response.body.collect(upTo: 1 << 20)
                return (Int(response.status.code), String(buffer: body), response.headers.first(name: "content-type"))
            }
            #expect(try await get("/health").0 == 200)
            let notReady = try await get("/ready")
            #expect(notReady.0 == 503)
            #expect(notReady.1.contains("web: partitions_assigned"))
            readiness.satisfy(.partitionsAssigned)
            #expect(try await get("/ready").0 == 200)
            let exposition = try await get("/metrics")
            #expect(exposition.0 == 200)
            #expect(exposition.2?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(exposition.1.contains("# HELP steward_records_consumed_total "))
            #expect(exposition.1.contains("steward_ready{topology=\"web\"} 1"))
            let page = try await get("/")
            #expect(page.0 == 200 && page.2?.hasPrefix("text/html") == true)
            #expect(page.1.contains("id=\"topology-web\""))
            #expect(try await get("/nothing").0 == 404)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        try await client.shutdown()
    }
}
