/// The lifecycle of one alert condition (one rule on one metric of one attribute): inactive → firing → resolved,
/// with hysteresis: a firing alert resolves only after `resolveAfter` consecutive clear windows.
struct AlertTracker: Sendable, Hashable, Codable {
    private(set) var firing: AlertEvent?
    private var clearStreak = 0

    var isFiring: Bool { firing != nil }

    /// Starts firing with `event` unless already firing; returns the transition, if any.
    mutating func fire(_ event: AlertEvent) -> AlertEvent? {
        clearStreak = 0
        guard firing == nil else { return nil }
        firing = event
        return event
    }

    /// Records one evaluated window while firing; returns the resolved event after enough clear windows.
    mutating func observe(clear: Bool, window: WindowBounds, value: Double, standardError: Double, resolveAfter: Int)
        -> AlertEvent?
    {
        guard var event = firing else { return nil }
        clearStreak = clear ? clearStreak + 1 : 0
        guard clearStreak >= max(1, resolveAfter) else { return nil }
        event.status = .resolved
        event.window = window
        event.value = value
        event.standardError = standardError
        event.endsAt = window.end
        event.summary = "RESOLVED after \(clearStreak) clear windows: " + event.summary
        firing = nil
        clearStreak = 0
        return event
    }
}
