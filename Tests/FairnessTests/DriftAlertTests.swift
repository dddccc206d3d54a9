import Foundation
import EngineStages
import Testing

@testable import Fairness

@Test func thresholdMeetsTheConfiguredAverageRunLength() {
    for rate in [1e-3, 1e-6, 1e-9] {
        let h = SequentialDetector.threshold(reference: 1, falseAlarmRate: rate)
        #expect(abs(SequentialDetector.averageRunLength(reference: 1, threshold: h) * rate - 1) < 1e-6)
    }
    #expect(
        SequentialDetector.threshold(reference: 1, falseAlarmRate: 1e-9)
            > SequentialDetector.threshold(reference: 1, falseAlarmRate: 1e-3))
}

@Test func cusumFalseAlarmRateIsAtMostConfiguredOnGaussianNoise() {
    // Siegmund's approximation is conservative for k = 1: empirical ARL is at least the target.
    var noise = TestOnlyGaussianNoise(sigma: 1, seed: 7)
    var detector = SequentialDetector(test: .cusum, reference: 1, falseAlarmRate: 1e-3)
    var alarms = 0
    let steps = 400_000
    for _ in 0..<steps where detector.update(noise.nextGaussian()) { alarms += 1 }
    #expect(Double(alarms) / Double(steps) < 1.3e-3)
    #expect(alarms > 0)
}

@Test func pageHinkleyAndCusumAlarmTogether() {
    var noise = TestOnlyGaussianNoise(sigma: 1, seed: 3)
    var cusum = SequentialDetector(test: .cusum, reference: 0.5, falseAlarmRate: 1e-2)
    var pageHinkley = SequentialDetector(test: .pageHinkley, reference: 0.5, falseAlarmRate: 1e-2)
    for step in 0..<5000 {
        let z = noise.nextGaussian() + (step > 2500 ? 1.5 : 0)
        #expect(cusum.update(z) == pageHinkley.update(z))
    }
}

@Test func baselineLearnsOverDispersion() {
    var baseline = Baseline(target: nil, referenceWindows: 4)
    for value in [0.1, 0.3, 0.1, 0.3] { baseline.learn(Estimate(value: value, samplingVariance: 0.0001)) }
    #expect(baseline.isReady && abs(baseline.value - 0.2) < 1e-12)
    #expect(baseline.dispersion > 100)
    #expect(
        Baseline(target: 0, referenceWindows: 4).standardizedGap(
            Estimate(value: 0.1, samplingVariance: 0.01), worseIsLower: false) == 1)
}

@Test func dedupKeysAreStableAndAtMost255Characters() {
    let short = AlertEvent.dedupKey(
        pipeline: "loans", rule: .drift, attribute: "race|sex", metric: .demographicParityDifference)
    #expect(short == "loans/fairness/drift/race|sex/demographic_parity_difference")
    let attribute = String(repeating: "very_long_column_name|", count: 20)
    let long = AlertEvent.dedupKey(pipeline: "loans", rule: .drift, attribute: attribute, metric: .equalizedOddsRatio)
    #expect(long.utf8.count <= 255)
    #expect(
        long == AlertEvent.dedupKey(pipeline: "loans", rule: .drift, attribute: attribute, metric: .equalizedOddsRatio))
    #expect(
        long
            != AlertEvent.dedupKey(
                pipeline: "loans", rule: .drift, attribute: attribute, metric: .equalizedOddsDifference))
}

@Test func rfc3339FormatsEventTime() {
    #expect(rfc3339(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
    #expect(rfc3339(milliseconds: 1_795_926_661_123) == "2026-11-29T04:31:01.123Z")
    #expect(rfc3339(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
}

/// A raw-mode monitor over two groups with tumbling windows of 100 ms, one event per ms alternating groups.
struct Stream {
    var monitor: FairnessMonitor
    var noise = TestOnlyGaussianNoise(sigma: 0, seed: 1)
    var time: Int64 = 0

    init(resolveAfter: Int = 2, targets: [String: Double] = [:], shift: Double? = nil) {
        var config = FairnessConfig(
            mode: .raw, sensitive: [SensitiveAttribute(["g"])], prediction: "p",
            window: WindowSpec(kind: .tumbling, size: EventDuration(milliseconds: 100)), minGroupSize: 10,
            baseline: BaselineSpec(referenceWindows: 5, targets: targets),
            drift: DriftSpec(metrics: [.demographicParityDifference], falseAlarmRate: 1e-4, shift: shift),
            fourFifths: FourFifthsSpec(metrics: [.demographicParityRatio]),
            alerts: AlertSpec(
                pipeline: "loans", resolveAfter: resolveAfter, runbookURL: "https://runbooks.example/fairness"))
        config.watermark = WatermarkSpec(maxOutOfOrderness: EventDuration(milliseconds: 0))
        monitor = FairnessMonitor(config: config)
    }

    /// Runs `windows` windows with selection rates `a` and `b`; returns the alert transitions.
    mutating func run(windows: Int, a: Double, b: Double) -> [AlertEvent] {
        var alerts: [AlertEvent] = []
        for _ in 0..<(windows * 100) {
            let group = time % 2 == 0 ? "a" : "b"
            let selected = noise.nextUniform() < (group == "a" ? a : b)
            _ = monitor.observe(attributes: ["g": group], prediction: selected, eventTime: time)
            time += 1
            for window in monitor.advance() {
                alerts += monitor.evaluate(window: window, noisyCounts: window.exactCounts).alerts
            }
        }
        return alerts
    }
}

@Test(arguments: [nil, 0.1])
func driftAlertFiresOnAShiftAndResolvesWithHysteresis(shift: Double?) throws {
    var stream = Stream(shift: shift)
    #expect(stream.run(windows: 30, a: 0.5, b: 0.5).filter { $0.rule == .drift }.isEmpty)
    let fired = stream.run(windows: 15, a: 0.7, b: 0.3)
    let drift = try #require(fired.first { $0.rule == .drift })
    #expect(drift.status == .firing && drift.severity == "critical")
    #expect(drift.dedupKey == "loans/fairness/drift/g/demographic_parity_difference")
    #expect(drift.runbookURL == "https://runbooks.example/fairness" && drift.minGroup == "b" && drift.maxGroup == "a")
    #expect(drift.baseline != nil && drift.summary.hasPrefix("[raw]"))
    #expect(fired.filter { $0.rule == .drift }.count == 1)
    let resolved = stream.run(windows: 20, a: 0.5, b: 0.5).filter { $0.rule == .drift }
    #expect(resolved.count == 1)
    #expect(resolved.first?.status == .resolved && resolved.first?.dedupKey == drift.dedupKey)
    #expect(resolved.first?.endsAt != nil)
}

@Test func fourFifthsRuleFiresWhenItsIntervalLiesUnderPointEightAndResolvesAboveTheMargin() throws {
    var stream = Stream(resolveAfter: 1, targets: ["demographic_parity_difference": 0.5])
    // 50 events per group and window: a ratio of 0.5 / 0.7 = 0.71 is not enough evidence, 0.2 / 0.95 is.
    #expect(stream.run(windows: 3, a: 0.7, b: 0.5).filter { $0.rule == .fourFifths }.isEmpty)
    let fired = stream.run(windows: 3, a: 0.95, b: 0.2).filter { $0.rule == .fourFifths }
    #expect(fired.count == 1 && fired[0].status == .firing && fired[0].threshold == 0.8)
    #expect(fired[0].dedupKey == "loans/fairness/four_fifths/g/demographic_parity_ratio")
    let resolved = stream.run(windows: 3, a: 1, b: 1).filter { $0.rule == .fourFifths }
    #expect(resolved.map(\.status) == [.resolved])
}

@Test(arguments: [nil, 0.1])
func snapshotRestoresTheWholeMonitor(shift: Double?) throws {
    var stream = Stream(shift: shift)
    _ = stream.run(windows: 12, a: 0.5, b: 0.4)
    let restored = try FairnessMonitor(snapshot: stream.monitor.snapshot())
    var copy = stream
    copy.monitor = restored
    let original = stream.run(windows: 20, a: 0.8, b: 0.2)
    let replayed = copy.run(windows: 20, a: 0.8, b: 0.2)
    #expect(original == replayed)
    #expect(!original.isEmpty)
}

@Test func payloadsFollowAlertmanagerAndPagerDutyFormats() throws {
    var stream = Stream()
    _ = stream.run(windows: 30, a: 0.5, b: 0.5)
    let event = try #require(stream.run(windows: 15, a: 0.7, b: 0.3).first { $0.rule == .drift })
    let alertmanager = try #require(
        JSONSerialization.jsonObject(with: AlertPayloads.alertmanager([event])) as? [[String: Any]])
    let labels = try #require(alertmanager.first?["labels"] as? [String: String])
    #expect(labels["alertname"] == "StewardFairness" && labels["dedup_key"] == event.dedupKey)
    #expect(
        alertmanager.first?["endsAt"] == nil
            && alertmanager.first?["startsAt"] as? String == rfc3339(milliseconds: event.startsAt))
    let annotations = try #require(alertmanager.first?["annotations"] as? [String: String])
    #expect(
        annotations["runbook_url"] == "https://runbooks.example/fairness" && annotations["summary"] == event.summary)

    var resolved = event
    resolved.status = .resolved
    resolved.endsAt = event.startsAt + 1000
    let ended = try #require(
        JSONSerialization.jsonObject(with: AlertPayloads.alertmanager([resolved])) as? [[String: Any]])
    #expect(ended.first?["endsAt"] as? String == rfc3339(milliseconds: event.startsAt + 1000))

    let trigger = try #require(
        JSONSerialization.jsonObject(with: AlertPayloads.pagerDuty(event, routingKey: "key")) as? [String: Any])
    #expect(trigger["event_action"] as? String == "trigger" && trigger["dedup_key"] as? String == event.dedupKey)
    let payload = try #require(trigger["payload"] as? [String: Any])
    #expect(payload["severity"] as? String == "critical" && payload["source"] as? String == "steward/loans")
    let resolve = try #require(
        JSONSerialization.jsonObject(with: AlertPayloads.pagerDuty(resolved, routingKey: "key")) as? [String: Any])
    #expect(resolve["event_action"] as? String == "resolve" && resolve["payload"] == nil)
}

@Test func configDecodesFromJSONWithDefaults() throws {
    let json = """
        {"sensitive": ["race", ["race", "sex"]], "prediction": "approved", "label": "repaid",
         "window": {"type": "hopping", "size": "1h", "advance": "10m"}, "allowed_lateness": "30s",
         "late_policy": "dead_letter", "feedback": {"horizon": "1d", "id_field": "id", "label_field": "repaid"},
         "drift": {"test": "page_hinkley", "false_alarm_rate": 1e-8},
         "alerts": {"runbook_url": "https://r", "webhook": {"type": "alertmanager", "url": "http://127.0.0.1:9093"}}}
        """
    let config = try JSONDecoder().decode(FairnessConfig.self, from: Data(json.utf8))
    #expect(config.sensitive.map(\.name) == ["race", "race|sex"])
    #expect(config.window.step.milliseconds == 600_000 && config.allowedLateness.milliseconds == 30_000)
    #expect(config.feedback?.horizon.milliseconds == 86_400_000 && config.latePolicy == .deadLetter)
    #expect(config.drift.test == .pageHinkley && config.mode == .private && config.minGroupSize == 30)
    #expect(config.drift.shift == nil)
    #expect(config.alerts.webhook?.kind == .alertmanager)
    let bad = #"{"sensitive": ["g"], "prediction": "p", "window": {"type": "hopping", "size": "1h"}}"#
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(FairnessConfig.self, from: Data(bad.utf8)) }
}
