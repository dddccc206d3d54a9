/// The bounds of one event-time window, `[start, end)` in milliseconds.
public struct WindowBounds: Sendable, Hashable, Codable {
    public var start: Int64
    public var end: Int64
}

/// One closed window: exact counts per sensitive attribute and group, which the privacy layer turns into noisy
/// counts (one DP series per attribute × group × `CountField`).
public struct WindowResult: Sendable, Hashable, Codable {
    /// Window number: `start / step`, a stable step index for the DP series.
    public var index: Int64
    public var bounds: WindowBounds
    /// Per attribute name (columns joined with `|`), per group key (values joined with `|`), the exact counts.
    public var tallies: [String: [String: GroupTally]]

    /// The exact counts as released counts with no noise: the marked raw mode.
    public var exactCounts: [String: [String: NoisyGroupCounts]] { tallies.mapValues { $0.mapValues(\.exact) } }
}

/// What became of one observed event.
public enum ObserveOutcome: String, Sendable, Hashable, Codable {
    /// Counted in its windows, on time.
    case accepted
    /// Arrived behind the watermark but within the allowed lateness: counted in its open windows.
    case acceptedLate = "accepted_late"
    /// All its windows had closed: counted in the late metric and dropped.
    case droppedLate = "dropped_late"
    /// All its windows had closed: counted and handed back for the dead-letter topic.
    case deadLetter = "dead_letter"
    /// All its windows had closed: counted and added to the earliest open window.
    case reassignedLate = "reassigned_late"
}

/// What became of one feedback (delayed label) record.
public enum FeedbackOutcome: String, Sendable, Hashable, Codable {
    case joined
    /// No pending prediction with that id (never seen, already labelled, or expired past the horizon).
    case unmatched
    /// The prediction was found but the label came later than the horizon.
    case beyondHorizon = "beyond_horizon"
}

/// Counters the monitor publishes about its input: late events and label joins are never silently lost.
public struct StreamCounters: Sendable, Hashable, Codable {
    public var accepted: Int = 0
    public var acceptedLate: Int = 0
    public var droppedLate: Int = 0
    public var deadLettered: Int = 0
    public var reassignedLate: Int = 0
    public var feedbackJoined: Int = 0
    public var feedbackUnmatched: Int = 0
    public var feedbackBeyondHorizon: Int = 0
    /// Predictions whose label never arrived within the horizon.
    public var labelsExpired: Int = 0
    /// Records accepted but left out of every count: their user had reached the contribution caps
    /// (privacy unit user). They still go to the sanitized output.
    public var overContributionCap: Int = 0

    enum CodingKeys: String, CodingKey {
        case accepted
        case acceptedLate = "accepted_late"
        case droppedLate = "dropped_late"
        case deadLettered = "dead_lettered"
        case reassignedLate = "reassigned_late"
        case feedbackJoined = "feedback_joined"
        case feedbackUnmatched = "feedback_unmatched"
        case feedbackBeyondHorizon = "feedback_beyond_horizon"
        case labelsExpired = "labels_expired"
        case overContributionCap = "over_contribution_cap"
    }

    public init() {}

    /// States saved before `over_contribution_cap` existed decode with it at 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        accepted = try c.decode(Int.self, forKey: .accepted)
        acceptedLate = try c.decode(Int.self, forKey: .acceptedLate)
        droppedLate = try c.decode(Int.self, forKey: .droppedLate)
        deadLettered = try c.decode(Int.self, forKey: .deadLettered)
        reassignedLate = try c.decode(Int.self, forKey: .reassignedLate)
        feedbackJoined = try c.decode(Int.self, forKey: .feedbackJoined)
        feedbackUnmatched = try c.decode(Int.self, forKey: .feedbackUnmatched)
        feedbackBeyondHorizon = try c.decode(Int.self, forKey: .feedbackBeyondHorizon)
        labelsExpired = try c.decode(Int.self, forKey: .labelsExpired)
        overContributionCap = try c.decodeIfPresent(Int.self, forKey: .overContributionCap) ?? 0
    }
}

/// Event-time windows kept as panes (slices of `gcd(size, step)`), so hopping and sliding windows share counts and
/// state is O(open panes × groups), never O(events). A window closes once the watermark passes its end plus the
/// allowed lateness (plus the feedback horizon when labels arrive late).
struct EventTimeWindows: Sendable, Hashable, Codable {
    let size: Int64
    let step: Int64
    let paneLength: Int64
    let closeDelay: Int64
    let attributeNames: [String]
    /// Pane index → per attribute → per group → counts.
    private(set) var panes: [Int64: [[String: GroupTally]]] = [:]
    /// The next window to close, once known.
    private(set) var nextWindow: Int64?
    private(set) var watermark: Int64 = .min

    init(spec: WindowSpec, closeDelay: Int64, attributeNames: [String]) {
        size = spec.size.milliseconds
        step = spec.step.milliseconds
        paneLength = greatestCommonDivisor(size, step)
        self.closeDelay = closeDelay
        self.attributeNames = attributeNames
    }

    /// Where an event at `time` goes: its pane, or nil when all its windows have closed.
    func pane(for time: Int64) -> Int64? {
        if let nextWindow, floorDivide(time, step) < nextWindow { return nil }
        return floorDivide(time, paneLength)
    }

    /// The pane of the earliest window still open.
    var earliestOpenPane: Int64? { nextWindow.map { floorDivide($0 * step, paneLength) } }

    /// The indices of the open windows that contain `pane` (hopping and sliding windows: several).
    func windows(containing pane: Int64) -> ClosedRange<Int64> {
        let start = pane * paneLength
        let last = floorDivide(start, step)
        var first = floorDivide(start + paneLength - size - 1, step) + 1
        if let nextWindow { first = max(first, nextWindow) }
        return min(first, last)...last
    }

    /// Whether `pane` is still held (some window containing it is open).
    func holds(pane: Int64) -> Bool { panes[pane] != nil }

    /// Applies `update` to the counts of each attribute's group in `pane`.
    mutating func update(pane: Int64, groups: [String], _ update: (inout GroupTally) -> Void) {
        // In place (no copy of the pane's dictionaries per event); the default is built only for a new pane.
        let count = attributeNames.count
        for (attribute, group) in groups.enumerated() {
            update(&panes[pane, default: Array(repeating: [:], count: count)][attribute][group, default: .zero])
        }
    }

    /// Raises the watermark and returns the windows that closed, oldest first.
    mutating func advance(to newWatermark: Int64) -> [WindowResult] {
        watermark = max(watermark, newWatermark)
        var closed: [WindowResult] = []
        if nextWindow == nil {
            guard let first = panes.keys.min(), watermark != .min else { return [] }
            nextWindow = min(floorDivide(first * paneLength - size, step) + 1, firstOpenWindow)
        }
        while let k = nextWindow, k * step + size + closeDelay <= watermark {
            let firstPane = floorDivide(k * step, paneLength)
            let lastPane = floorDivide(k * step + size, paneLength) - 1
            var tallies: [String: [String: GroupTally]] = [:]
            var empty = true
            for pane in firstPane...lastPane {
                guard let slots = panes[pane] else { continue }
                empty = false
                for (attribute, groups) in slots.enumerated() {
                    for (group, tally) in groups {
                        tallies[attributeNames[attribute], default: [:]][group, default: .zero].merge(tally)
                    }
                }
            }
            if !empty {
                closed.append(
                    WindowResult(
                        index: k, bounds: WindowBounds(start: k * step, end: k * step + size), tallies: tallies))
            }
            // Panes that no open window needs any more.
            let keepFrom = floorDivide((k + 1) * step, paneLength)
            for pane in panes.keys where pane < keepFrom { panes[pane] = nil }
            // Skip empty windows the watermark has already closed, without stepping through them one by one.
            let firstHeld = panes.keys.min().map { floorDivide($0 * paneLength - size, step) + 1 } ?? firstOpenWindow
            nextWindow = max(k + 1, min(firstHeld, firstOpenWindow))
        }
        return closed
    }
}

extension EventTimeWindows {
    /// The first window whose close time the watermark has not reached.
    var firstOpenWindow: Int64 { floorDivide(watermark - closeDelay - size, step) + 1 }
}

func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
}

func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
