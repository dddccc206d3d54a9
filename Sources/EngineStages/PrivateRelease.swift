import Fairness
import Foundation
import JSON
import Pipeline
import Privacy
import Synchronization

/// Releases a closed window's counts through the privacy layer: one continual counter per
/// (attribute, group, count field); the window's count is the difference of the noisy prefix sums
/// at its step and the step before (post-processing, no extra budget).
///
/// A window's step is its index counted from the privacy origin (`privacy.origin`, default the
/// Unix epoch), never from the first window a process saw. Every noise draw is a pure function of
/// (noise key, series, absolute step), and a window's count carries exactly its own step's noise
/// (one row of C⁻¹z): a replay, a restart or a process that lost its state re-releases a window
/// with that window's noise and can never put one window's noise on another's data.
public struct PrivateRelease: FairnessStage.Release {
    let engine: PrivacyEngine
    let seriesPrefix: String
    /// The window index of the origin: window `originIndex` is step 0 of every series.
    let originIndex: Int64
    var series: [String: SeriesCounter] = [:] {
        // Any change gets a new cache: copies of this value (the runtime's rollback copy) keep theirs.
        didSet { snapshotCache = SnapshotCache() }
    }
    /// The step of the latest release (how many epochs the budget has run into).
    var lastStep: Int64 = 0 {
        didSet { snapshotCache = SnapshotCache() }
    }
    /// The counters change only when a window closes, but the runtime snapshots after every batch:
    /// the encoded counters are kept until the next change.
    var snapshotCache = SnapshotCache()
    public let firstReleasedEventTime: Int64?
    /// Partition selection for groups not in `publicGroups` (nil: every group is released, as the
    /// aggregates' internal counters are).
    var selection: PartitionSelection?
    /// Per attribute name, the groups released without selection.
    var publicGroups: [String: Set<String>] = [:]
    /// The run lengths (in windows) whose exact noise variance each count carries (`NoisyCount.runNoise`).
    let runLengths: [Int]
    /// The run noise of the latest step released: the same for every series.
    var runNoiseCache: (step: Int64, noise: NoisyCount.RunNoise?)?

    /// `windowSize` and `windowStep` are the windows' length and advance, and `origin` where step 0 begins, both in
    /// milliseconds. `runLengths`: the runs of consecutive windows whose count's exact noise variance is attached to
    /// every released count (`SpanShiftTest.runNoiseLengths`), where the mechanism has it.
    public init(
        engine: PrivacyEngine, topologyName: String, windowSize: Int64, windowStep: Int64, origin: Int64 = 0,
        runLengths: [Int] = []
    ) {
        self.engine = engine
        self.runLengths = runLengths
        let originIndex = origin >= 0 ? origin / windowStep : -((-origin + windowStep - 1) / windowStep)
        self.originIndex = originIndex
        // The first event all of whose windows have a step (index ≥ the origin's).
        self.firstReleasedEventTime = originIndex * windowStep + max(0, windowSize - windowStep)
        // A non-default origin is part of every series id, so moving the origin never gives a step
        // the noise another origin gave a different window.
        self.seriesPrefix = origin == 0 ? topologyName : "\(topologyName)|origin=\(origin)"
    }

    public var note: String? {
        let guarantee = engine.guarantee
        return "\(engine.configuration.mechanism.rawValue) rho=\(guarantee.rho) epsilon=\(guarantee.epsilon) "
            + "delta=\(guarantee.delta) per \(guarantee.unit.rawValue)"
    }

    public var privacy: PrivacyStatement? {
        var statement = PrivacyStatement(engine: engine, epochs: lastStep / engine.configuration.horizon + 1)
        statement.selectionDelta = selection?.delta
        return statement
    }

    /// The guarantee every release so far is covered by, and how many steps were released (from
    /// the origin): the `privacy` member of audit entries.
    var spent: JSONValue {
        let guarantee = engine.guarantee
        return .object([
            ("mechanism", .string(engine.configuration.mechanism.rawValue)), ("unit", .string(guarantee.unit.rawValue)),
            ("rho", .number("\(guarantee.rho)")), ("epsilon", .number("\(guarantee.epsilon)")),
            ("delta", .number("\(guarantee.delta)")), ("windows_released", .number(String(series.isEmpty ? 0 : lastStep + 1))),
        ])
    }

    public mutating func release(_ window: WindowResult) -> [String: [String: NoisyGroupCounts]] {
        let step = window.index - originIndex
        if step > lastStep { lastStep = step }
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
                if let selection, publicGroups[attribute]?.contains(group) != true,
                    !selection.selects(count: counts[.total].value, noiseVariance: counts[.total].noiseVariance)
                {
                    continue
                }
                released[attribute, default: [:]][group] = counts
            }
        }
        return released
    }

    /// The saved form: every series' counter, keyed by series id, and the latest step.
    struct Saved: Codable {
        var lastStep: Int64
        var series: [String: SeriesCounter.Snapshot]
    }

    public func snapshot() throws -> [UInt8] {
        if let cached = snapshotCache.bytes.withLock({ $0 }) { return cached }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let bytes = Array(try encoder.encode(Saved(lastStep: lastStep, series: series.mapValues { $0.snapshot() })))
        snapshotCache.bytes.withLock { $0 = bytes }
        return bytes
    }

    public mutating func restore(_ snapshot: [UInt8]) throws {
        let saved = try JSONDecoder().decode(Saved.self, from: Data(snapshot))
        var restored: [String: SeriesCounter] = [:]
        for (id, counter) in saved.series { restored[id] = try engine.restoreCounter(counter) }
        series = restored
        lastStep = saved.lastStep
    }

    mutating func release(series id: String, increment: Int64, step: Int64) -> NoisyCount {
        // A window that begins before the origin has no step: it is not released.
        guard step >= 0 else { return NoisyCount(value: .nan, noiseVariance: .infinity) }
        var counter = series.removeValue(forKey: id) ?? engine.makeCounter(series: id, startingAt: step)
        defer { series[id] = counter }
        counter.add(increment)
        guard let (current, count) = try? counter.releaseStep(step) else {
            return NoisyCount(value: .nan, noiseVariance: .infinity)
        }
        let deviation = current.standardDeviation
        // The exact variance of one step's count where the mechanism has a closed form (BLT, sqrt);
        // otherwise Var(a − b) ≤ (σa + σb)² whatever the correlation of the two prefix noises.
        let variance =
            engine.differenceVariance(positionInEpoch: step % engine.configuration.horizon)
            ?? (2 * deviation) * (2 * deviation)
        // The prefix at step − 1 has at most the variance of the prefix at `step`: `deviation` bounds both
        // ends of a run of windows.
        let deviations = NoisyCount.PrefixDeviations(start: deviation, end: deviation)
        return NoisyCount(
            value: count, noiseVariance: variance, prefixDeviations: deviations, runNoise: runNoise(step: step))
    }

    /// The exact noise variances of the runs of `runLengths` windows ending at `step` (nil for the tree
    /// mechanisms): a run's count is the difference of the prefix sums at `step − k` and `step`.
    mutating func runNoise(step: Int64) -> NoisyCount.RunNoise? {
        if let cached = runNoiseCache, cached.step == step { return cached.noise }
        var variances: [Double] = []
        for length in runLengths {
            guard let variance = engine.differenceVariance(from: step - Int64(length), to: step) else { break }
            variances.append(variance)
        }
        let noise =
            runLengths.isEmpty || variances.count < runLengths.count
            ? nil : NoisyCount.RunNoise(step: step, lengths: runLengths, variances: variances)
        runNoiseCache = (step, noise)
        return noise
    }
}

/// The last encoded state of a `PrivateRelease`'s counters (a reference, so a non-mutating
/// `snapshot()` can fill it).
final class SnapshotCache: Sendable {
    let bytes = Mutex<[UInt8]?>(nil)
}
