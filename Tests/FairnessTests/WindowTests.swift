import Testing

@testable import Fairness

private func config(
    window: WindowSpec, lateness: Int64 = 0, outOfOrder: Int64 = 0, policy: LatePolicy = .drop,
    feedback: FeedbackSpec? = nil
) -> FairnessConfig {
    FairnessConfig(
        mode: .raw, sensitive: [SensitiveAttribute(["g"])], prediction: "p", recordId: "id", window: window,
        watermark: WatermarkSpec(maxOutOfOrderness: EventDuration(milliseconds: outOfOrder)),
        allowedLateness: EventDuration(milliseconds: lateness), latePolicy: policy, feedback: feedback, minGroupSize: 1)
}

private func totals(_ results: [WindowResult]) -> [Int64: Double] {
    var byStart: [Int64: Double] = [:]
    for result in results {
        byStart[result.bounds.start] = result.tallies["g"]?.values.reduce(0) { $0 + $1[.total] }
    }
    return byStart
}

@Test func tumblingWindowsCloseWhenTheWatermarkPassesTheirEnd() {
    var monitor = FairnessMonitor(
        config: config(window: WindowSpec(kind: .tumbling, size: EventDuration(milliseconds: 10))))
    for time in [0, 3, 9] as [Int64] { _ = monitor.observe(attributes: ["g": "a"], prediction: true, eventTime: time) }
    #expect(monitor.advance().isEmpty)
    _ = monitor.observe(attributes: ["g": "a"], prediction: true, eventTime: 10)
    let closed = monitor.advance()
    #expect(closed.map(\.bounds) == [WindowBounds(start: 0, end: 10)])
    #expect(totals(closed) == [0: 3])
    _ = monitor.observe(attributes: ["g": "a"], prediction: true, eventTime: 15)
    #expect(monitor.advance(watermark: 19).isEmpty)
    #expect(totals(monitor.advance(watermark: 20)) == [10: 2])
}

@Test func hoppingAndSlidingWindowsCountEachEventInEveryCoveringWindow() {
    for kind in [WindowSpec.Kind.hopping, .sliding] {
        let spec = WindowSpec(
            kind: kind, size: EventDuration(milliseconds: 10), advance: EventDuration(milliseconds: 5))
        var monitor = FairnessMonitor(config: config(window: spec))
        for time in [1, 6, 12] as [Int64] {
            _ = monitor.observe(attributes: ["g": "a"], prediction: false, eventTime: time)
        }
        // Windows [-5,5) [0,10) [5,15) [10,20).
        #expect(totals(monitor.advance(watermark: 100)) == [-5: 1, 0: 2, 5: 2, 10: 1])
    }
}

@Test func lateEventsWithinAllowedLatenessCountOthersFollowThePolicy() {
    let spec = WindowSpec(kind: .tumbling, size: EventDuration(milliseconds: 10))
    var monitor = FairnessMonitor(config: config(window: spec, lateness: 5, outOfOrder: 2))
    #expect(monitor.observe(attributes: ["g": "a"], prediction: true, eventTime: 4) == .accepted)
    #expect(monitor.observe(attributes: ["g": "a"], prediction: true, eventTime: 13) == .accepted)
    // Watermark 11: window [0,10) waits for 10 + 5.
    #expect(monitor.advance().isEmpty)
    #expect(monitor.observe(attributes: ["g": "a"], prediction: true, eventTime: 8) == .acceptedLate)
    #expect(monitor.observe(attributes: ["g": "a"], prediction: true, eventTime: 18) == .accepted)
    #expect(totals(monitor.advance()) == [0: 2])
    #expect(monitor.observe(attributes: ["g": "a"], prediction: true, eventTime: 9) == .droppedLate)
    #expect(monitor.counters.droppedLate == 1 && monitor.counters.acceptedLate == 1)

    for (policy, outcome) in [
        (LatePolicy.deadLetter, ObserveOutcome.deadLetter), (.earliestOpenWindow, .reassignedLate),
    ] {
        var other = FairnessMonitor(config: config(window: spec, policy: policy))
        _ = other.observe(attributes: ["g": "a"], prediction: true, eventTime: 12)
        _ = other.advance()
        #expect(other.observe(attributes: ["g": "a"], prediction: true, eventTime: 3) == outcome)
        let closed = other.advance(watermark: 30)
        #expect(totals(closed) == [10: policy == .earliestOpenWindow ? 2 : 1])
    }
}

@Test func stateStaysBoundedByOpenPanesNotEvents() {
    let spec = WindowSpec(
        kind: .sliding, size: EventDuration(milliseconds: 1000), advance: EventDuration(milliseconds: 100))
    var monitor = FairnessMonitor(config: config(window: spec, lateness: 200, outOfOrder: 50))
    var closed = 0
    for time in 0..<200_000 as Range<Int64> {
        _ = monitor.observe(attributes: ["g": time % 3 == 0 ? "a" : "b"], prediction: time % 2 == 0, eventTime: time)
        if time % 100 == 0 { closed += monitor.advance().count }
    }
    // Panes held: size + lateness + out-of-orderness over the pane length, plus one.
    #expect(monitor.heldPanes <= 14)
    #expect(closed > 1900)
}

@Test func delayedLabelsJoinByRecordIdWithinTheHorizon() {
    let spec = WindowSpec(kind: .tumbling, size: EventDuration(milliseconds: 10))
    var monitor = FairnessMonitor(
        config: config(window: spec, feedback: FeedbackSpec(horizon: EventDuration(milliseconds: 20))))
    _ = monitor.observe(attributes: ["g": "a"], prediction: true, recordId: "r1", eventTime: 1)
    _ = monitor.observe(attributes: ["g": "a"], prediction: false, recordId: "r2", eventTime: 2)
    _ = monitor.observe(attributes: ["g": "a"], prediction: true, recordId: "r3", eventTime: 3)
    #expect(monitor.observeFeedback(recordId: "r1", label: true, eventTime: 15) == .joined)
    #expect(monitor.observeFeedback(recordId: "r2", label: true, eventTime: 16) == .joined)
    #expect(monitor.observeFeedback(recordId: "nobody", label: true, eventTime: 16) == .unmatched)
    #expect(monitor.observeFeedback(recordId: "r3", label: false, eventTime: 40) == .beyondHorizon)
    // The window waits for the horizon before it closes.
    #expect(monitor.advance(watermark: 29).isEmpty)
    let closed = monitor.advance(watermark: 30)
    let counts = closed[0].tallies["g"]!["a"]!
    #expect(counts[.labelPositive] == 2 && counts[.truePositive] == 1 && counts[.labelNegative] == 0)
    #expect(monitor.counters.feedbackJoined == 2 && monitor.counters.feedbackUnmatched == 1)

    var expiring = FairnessMonitor(
        config: config(window: spec, feedback: FeedbackSpec(horizon: EventDuration(milliseconds: 20))))
    _ = expiring.observe(attributes: ["g": "a"], prediction: true, recordId: "r", eventTime: 1)
    _ = expiring.advance(watermark: 22)
    #expect(expiring.pendingLabels == 0 && expiring.counters.labelsExpired == 1)
}

@Test func intersectionalGroupsJoinValuesWithABar() {
    let spec = WindowSpec(kind: .tumbling, size: EventDuration(milliseconds: 10))
    var settings = config(window: spec)
    settings.sensitive = [SensitiveAttribute(["race"]), SensitiveAttribute(["race", "sex"])]
    var monitor = FairnessMonitor(config: settings)
    _ = monitor.observe(attributes: ["race": "b", "sex": "f"], prediction: true, eventTime: 1)
    let closed = monitor.advance(watermark: 10)
    #expect(closed[0].tallies["race|sex"]?.keys.sorted() == ["b|f"])
    #expect(closed[0].tallies["race"]?.keys.sorted() == ["b"])
}
