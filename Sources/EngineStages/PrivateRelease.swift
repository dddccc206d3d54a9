import Fairness
import JSON
import Pipeline
import Privacy

/// Releases a closed window's counts through the privacy layer: one continual counter per
/// (attribute, group, count field); the window's count is the difference of two noisy prefix sums
/// (post-processing, no extra budget). Noise is a pure function of (key, series, step), so a
/// replay re-releases identical values.
public struct PrivateRelease: FairnessStage.Release {
    let engine: PrivacyEngine
    let seriesPrefix: String
    var series: [String: SeriesState] = [:]
    /// The window index that is step 0 of every series.
    var firstIndex: Int64?
    /// Windows released so far (the last step + 1), for the audit log.
    var windowsReleased: Int64 = 0

    struct SeriesState: Sendable {
        var counter: SeriesCounter
        var lastValue: Double = 0
        var lastStandardDeviation: Double = 0
    }

    public init(engine: PrivacyEngine, topologyName: String) {
        self.engine = engine
        self.seriesPrefix = topologyName
    }

    public var note: String? {
        let guarantee = engine.guarantee
        return "\(engine.configuration.mechanism.rawValue) rho=\(guarantee.rho) epsilon=\(guarantee.epsilon) "
            + "delta=\(guarantee.delta) per \(guarantee.unit.rawValue)"
    }

    /// The guarantee every release so far is covered by, and how many windows were released: the
    /// `privacy` member of audit entries.
    var spent: JSONValue {
        let guarantee = engine.guarantee
        return .object([
            ("mechanism", .string(engine.configuration.mechanism.rawValue)), ("unit", .string(guarantee.unit.rawValue)),
            ("rho", .number("\(guarantee.rho)")), ("epsilon", .number("\(guarantee.epsilon)")),
            ("delta", .number("\(guarantee.delta)")), ("windows_released", .number(String(windowsReleased))),
        ])
    }

    public mutating func release(_ window: WindowResult) -> [String: [String: NoisyGroupCounts]] {
        let first = firstIndex ?? window.index
        firstIndex = first
        let step = window.index - first
        windowsReleased = max(windowsReleased, step + 1)
        var released: [String: [String: NoisyGroupCounts]] = [:]
        for (attribute, groups) in window.tallies.sorted(by: { $0.key < $1.key }) {
            for (group, tally) in groups.sorted(by: { $0.key < $1.key }) {
                var counts = NoisyGroupCounts(repeating: NoisyCount(value: 0, noiseVariance: 0))
                for field in CountField.allCases {
                    let id = "\(seriesPrefix)|\(attribute)|\(group)|\(field.rawValue)"
                    // Score sums are rounded to whole units first: one record still moves the
                    // rounded sum by at most 1, so the counter's sensitivity holds.
                    let increment = Int64(tally[field].rounded())
                    counts[field] = release(series: id, increment: increment, step: step)
                }
                released[attribute, default: [:]][group] = counts
            }
        }
        return released
    }

    mutating func release(series id: String, increment: Int64, step: Int64) -> NoisyCount {
        var state = series[id] ?? SeriesState(counter: engine.makeCounter(series: id))
        // Steps this series missed (windows where its group had no event) are released by the
        // counter with zero increments, so its noise stays a function of (key, series, step) and
        // the difference to the last value we read is exactly this window's count plus noise.
        state.counter.add(increment)
        guard let current = try? state.counter.release(step: step) else {
            series[id] = state
            return NoisyCount(value: .nan, noiseVariance: .infinity)
        }
        let value = current.value - state.lastValue
        // Var(a − b) ≤ (σa + σb)² whatever the correlation of the two prefix noises.
        let bound = current.standardDeviation + state.lastStandardDeviation
        let deviations = NoisyCount.PrefixDeviations(start: state.lastStandardDeviation, end: current.standardDeviation)
        state.lastValue = current.value
        state.lastStandardDeviation = current.standardDeviation
        series[id] = state
        return NoisyCount(value: value, noiseVariance: bound * bound, prefixDeviations: deviations)
    }
}
