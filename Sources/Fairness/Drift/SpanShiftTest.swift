import Foundation

/// The likelihood-ratio test for a shift of a disparity metric by a configured amount, computed over runs of
/// consecutive windows whose counts are added up before any rate is taken (`drift.test: likelihood_ratio`).
///
/// A window's released count is the difference of two noisy prefix sums, so the count of a run of k windows is the
/// difference of the run's outer prefixes: its DP noise does not grow with k, while the per-window test
/// (`ShiftTest`) adds up k windows' noise variances. The run's noise variance is the privacy layer's exact figure
/// (`NoisyCount.runNoise`) when the run's windows are consecutive steps, else the bound from
/// `NoisyCount.prefixDeviations`. For every run length k of a grid up to `maxWindows` (every length to 8, then
/// geometric) ending at the current window, every ordered pair of groups has an estimate
/// `X` (rates of the run's summed counts: `r_i − r_j` for a difference metric, `r_j / r_i` for a ratio) with variance
/// `V = Var X + Var b` (sampling, the run's DP noise, the baseline's error). With the pair's baseline `b`, the
/// metric's baseline `B` (worst pair baseline, or the target) and alarm level `L = B ± shift`, `d = L − b`, the log
/// likelihood ratio of "the pair is at `L`" against "the pair is at `b`" over the run is `(d / V)(X − b − d / 2)`.
/// The largest over runs and pairs is the statistic; the test alarms when it exceeds `H = z² / 2`, with `z` the
/// normal quantile of `falseAlarmRate / (runs × pairs)`: under no change each (run, pair) exceeds `H` with
/// probability at most `Φ̄(√(2H))` whatever its variance (the worst case of `Φ̄(H/δ + δ/2)` over `δ = |d|/√V`), so
/// a window alarms with probability at most `falseAlarmRate` (union bound; runs overlap, so it is lower).
///
/// Beside the pairs, a difference metric over three or more groups is tested on group-against-the-rest contrasts:
/// a group's rate minus the mean rate of the other groups, with the alternative that it moved by `shift` in a
/// direction that makes the metric worse. One group's shift moves its contrast by the whole shift while the
/// contrast's sampling variance is `(1 + 1/(G−1))` group variances against a pair's two, so it is detected with
/// fewer events. The contrasts are more (run, test) terms of the same union bound: the same argument holds for
/// any linear contrast of independent rates.
public struct SpanShiftTest: Sendable, Hashable, Codable {
    public let metric: FairnessMetric
    public let shift: Double
    public let falseAlarmRate: Double
    public let target: Double?
    public let referenceWindows: Int
    public let maxWindows: Int
    /// How many windows each event is counted in (hopping windows: size / advance); multiplies sampling variances.
    public let overlap: Double
    public let minGroupSize: Double
    /// One-sided normal quantile used for the `min_group_size` guard on noisy counts.
    public let minGroupZ: Double
    private var learned = 0
    private var reference: [String: GroupRun] = [:]
    /// The latest windows since the last restart, oldest first (at most `maxWindows`).
    private var recent: [[String: GroupRun]] = []
    private var baselines: [String: Estimate] = [:]
    /// The watched contrasts' oriented baselines, keyed `component␟group␟+` (the group's rate minus the others'
    /// mean) or `…␟-` (the negative), fixed with the pairs' baselines. Nil in states from before contrasts were
    /// tested: derived from the reference then.
    private var contrastBaselines: [String: Estimate]?
    /// Per component, the groups the contrasts are taken over (every run must have a rate for each of them).
    private var contrastGroups: [String: [String]]?
    private var levelValue: Double?
    private var lastStatistic = 0.0

    /// What an alarm or a window says about the worst (run, pair).
    public struct Finding: Sendable, Hashable {
        /// What the estimate compares: a pair of groups, or one group against the mean rate of the others.
        public enum Comparison: String, Sendable, Hashable {
            case pair
            case groupMinusRest = "group_minus_rest"
            case restMinusGroup = "rest_minus_group"
        }

        /// The pair's groups: the first one's rate rose relative to the second's (a difference), or the first
        /// one's fell relative to the second's (a ratio). For a contrast: the group, and "".
        public var groups: (String, String)
        public var comparison: Comparison = .pair
        /// For a contrast, the groups whose mean rate the group is compared with.
        public var others: [String] = []
        /// The group whose own rate moved more from its baseline rate.
        public var movedGroup: String
        public var component: String
        /// Windows in the run.
        public var windows: Int
        public var estimate: Estimate
        public var baseline: Double
        public var statistic: Double

        public static func == (lhs: Finding, rhs: Finding) -> Bool {
            lhs.groups == rhs.groups && lhs.comparison == rhs.comparison && lhs.others == rhs.others
                && lhs.movedGroup == rhs.movedGroup && lhs.component == rhs.component
                && lhs.windows == rhs.windows && lhs.estimate == rhs.estimate && lhs.baseline == rhs.baseline
                && lhs.statistic == rhs.statistic
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(groups.0)
            hasher.combine(groups.1)
            hasher.combine(windows)
        }
    }

    public init(
        metric: FairnessMetric, shift: Double, falseAlarmRate: Double, target: Double?, referenceWindows: Int,
        maxWindows: Int, overlap: Double = 1, minGroupSize: Double = 0, minGroupZ: Double = 0
    ) {
        self.metric = metric
        self.shift = shift
        self.falseAlarmRate = falseAlarmRate
        self.target = target
        self.referenceWindows = max(1, referenceWindows)
        self.maxWindows = max(1, maxWindows)
        self.overlap = max(1, overlap)
        self.minGroupSize = minGroupSize
        self.minGroupZ = minGroupZ
        levelValue = target
    }

    public var isReady: Bool { target != nil || learned >= referenceWindows }

    /// The metric's baseline `B` (NaN while it is being learned).
    public var level: Double { levelValue ?? .nan }

    /// The largest log-likelihood ratio of the last window evaluated.
    public var statistic: Double { lastStatistic }

    /// Pairs watched (fixed at the end of the reference period; with a target, the pairs of the window).
    public var watchedPairs: Int { baselines.count }

    /// Group-against-the-rest contrasts watched (each direction counts; fixed at the end of the reference period).
    public var watchedContrasts: Int { contrastBaselines?.count ?? 0 }

    /// The run lengths tested: every length up to 8, then 12, 16, 24, 32, 48, … up to `maxWindows` (included). A
    /// shift is caught by the run that starts near it, so the short runs, where most alarms come from, leave no gaps.
    public static func runLengths(upTo maxWindows: Int) -> [Int] {
        guard maxWindows > 1 else { return [1] }
        var lengths = Array(1...min(8, maxWindows))
        var power = 8
        while power <= maxWindows {
            for k in [power, power * 3 / 2] where k > 8 && k <= maxWindows && !lengths.contains(k) { lengths.append(k) }
            power *= 2
        }
        if lengths.last != maxWindows { lengths.append(maxWindows) }
        return lengths
    }

    /// The run lengths whose exact noise variance the privacy layer attaches to each window's counts
    /// (`NoisyCount.runNoise`): the tested runs and the reference period.
    public static func runNoiseLengths(maxWindows: Int, referenceWindows: Int) -> [Int] {
        Array(Set(runLengths(upTo: max(1, maxWindows)) + [max(1, referenceWindows)])).sorted()
    }

    /// The alarm threshold `H` for `pairs` watched pairs and contrasts.
    public func threshold(pairs: Int) -> Double {
        Self.threshold(falseAlarmRate: falseAlarmRate, tests: Self.runLengths(upTo: maxWindows).count * max(1, pairs))
    }

    public var threshold: Double {
        isReady ? threshold(pairs: max(1, watchedPairs + watchedContrasts)) : .infinity
    }

    /// `z² / 2` with `Φ̄(z) = falseAlarmRate / tests`.
    public static func threshold(falseAlarmRate: Double, tests: Int) -> Double {
        let z = upperNormalQuantile(falseAlarmRate / Double(max(1, tests)))
        return z * z / 2
    }

    /// `z` with `Φ̄(z) = p` (bisection on `erfc`), for `p` in (0, 0.5].
    public static func upperNormalQuantile(_ p: Double) -> Double {
        guard p < 0.5 else { return 0 }
        var low = 0.0
        var high = 40.0
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if 0.5 * erfc(middle / 2.0.squareRoot()) > p { low = middle } else { high = middle }
        }
        return high
    }

    /// Adds a reference window's counts (per group key); once `referenceWindows` windows are in, fixes the pairs'
    /// baselines and the metric's baseline.
    public mutating func learn(_ counts: [String: NoisyGroupCounts]) {
        guard !isReady else { return }
        for (key, group) in counts {
            if reference[key] == nil {
                reference[key] = GroupRun(group)
            } else {
                reference[key]!.append(GroupRun(group))
            }
        }
        learned += 1
        guard isReady else { return }
        baselines = pairs(of: rates(of: reference, windows: learned))
        let values = baselines.values.map(\.value)
        levelValue = metric.isRatio ? values.min() : values.max()
        fixContrasts()
    }

    /// Chooses the contrasts from the reference period: per component, the groups whose reference count averages
    /// at least `minGroupSize` per window (three or more), and for each group the directions in which a move of
    /// its rate alone by `shift` would widen the largest gap between the reference rates. None for a ratio metric
    /// or a configured target.
    private mutating func fixContrasts() {
        var sets: [String: [String]] = [:]
        var fixed: [String: Estimate] = [:]
        defer { (contrastGroups, contrastBaselines) = (sets, fixed) }
        guard target == nil, !metric.isRatio else { return }
        let referenceRates = rates(of: reference, windows: learned)
        for component in Self.components(metric) {
            let rates = (referenceRates[component.name] ?? [:]).sorted { $0.key < $1.key }.filter { key, _ in
                reference[key]![.total].value >= Double(learned) * minGroupSize
            }
            guard rates.count >= 3 else { continue }
            let values = rates.map(\.value.value)
            let widest = values.max()! - values.min()!
            for (index, group) in rates.map(\.key).enumerated() {
                let baseline = Self.contrast(rates.map(\.value), index)
                for sign in [1.0, -1.0] {
                    var moved = values
                    moved[index] += sign * shift
                    guard moved.max()! - moved.min()! > widest else { continue }
                    fixed[Self.contrastKey(component.name, group, sign)] = sign > 0 ? baseline : baseline.negated
                }
            }
            sets[component.name] = rates.map(\.key)
        }
    }

    private static func contrastKey(_ component: String, _ group: String, _ sign: Double) -> String {
        component + "\u{1F}" + group + "\u{1F}" + (sign > 0 ? "+" : "-")
    }

    /// The rate at `index` minus the mean of the others, with its variance (independent rates).
    static func contrast(_ rates: [Estimate], _ index: Int) -> Estimate {
        let others = Double(rates.count - 1)
        var contrast = rates[index]
        for (position, rate) in rates.enumerated() where position != index {
            contrast.value -= rate.value / others
            contrast.samplingVariance += rate.samplingVariance / (others * others)
            contrast.noiseVariance += rate.noiseVariance / (others * others)
        }
        return contrast
    }

    /// Every watched contrast's oriented value from the groups' rates (none for a component where a group of its
    /// set has no rate).
    func contrastEstimates(of rates: [String: [String: Estimate]]) -> [String: Estimate] {
        guard let sets = contrastGroups, let fixed = contrastBaselines, !fixed.isEmpty else { return [:] }
        var values: [String: Estimate] = [:]
        for component in Self.components(metric) {
            guard let members = sets[component.name], let byGroup = rates[component.name] else { continue }
            let rates = members.compactMap { byGroup[$0] }
            guard rates.count == members.count else { continue }
            for (index, group) in members.enumerated() {
                let contrast = Self.contrast(rates, index)
                for sign in [1.0, -1.0] {
                    let key = Self.contrastKey(component.name, group, sign)
                    if fixed[key] != nil { values[key] = sign > 0 ? contrast : contrast.negated }
                }
            }
        }
        return values
    }

    /// Evaluates a window while not firing: adds it to the recent runs and returns the worst (run, pair) with its
    /// statistic, or nil when no pair has a value. The caller compares `statistic` with `threshold`.
    public mutating func evaluate(_ counts: [String: NoisyGroupCounts]) -> Finding? {
        push(counts)
        if target != nil {
            for (key, _) in pairs(of: rates(of: runs(length: 1), windows: 1)) where baselines[key] == nil {
                baselines[key] = Estimate(value: target!)
            }
        }
        if contrastBaselines == nil, isReady { fixContrasts() }
        var worst: Finding?
        for length in Self.runLengths(upTo: maxWindows) where length <= recent.count {
            let rates = rates(of: runs(length: length), windows: length)
            for (key, estimate) in pairs(of: rates) {
                guard let baseline = baselines[key] else { continue }
                let (variance, d) = (estimate.variance + baseline.variance, alarmLevel - baseline.value)
                guard variance > 0, variance.isFinite, d != 0 else { continue }
                let llr = d / variance * (estimate.value - baseline.value - d / 2)
                if worst == nil || llr > worst!.statistic {
                    worst = finding(key: key, value: estimate, baseline: baseline.value, windows: length, statistic: llr)
                }
            }
            for (key, estimate) in contrastEstimates(of: rates) {
                guard let baseline = contrastBaselines?[key] else { continue }
                let variance = estimate.variance + baseline.variance
                guard variance > 0, variance.isFinite else { continue }
                let llr = shift / variance * (estimate.value - baseline.value - shift / 2)
                if worst == nil || llr > worst!.statistic {
                    worst = contrastFinding(
                        key: key, value: estimate, baseline: baseline.value, windows: length, statistic: llr)
                }
            }
        }
        lastStatistic = max(0, worst?.statistic ?? 0)
        return worst
    }

    /// Whether the latest `windows` windows (added with `push` while firing) put every pair nearer its baseline than
    /// its alarm level: the log-likelihood ratio of that run is ≤ 0 for every pair.
    public func isClear(windows: Int) -> Bool {
        let length = min(max(1, windows), recent.count)
        guard length > 0 else { return false }
        let rates = rates(of: runs(length: length), windows: length)
        for (key, estimate) in pairs(of: rates) {
            guard let baseline = baselines[key] else { continue }
            let d = alarmLevel - baseline.value
            if d * (estimate.value - baseline.value - d / 2) > 0 { return false }
        }
        for (key, estimate) in contrastEstimates(of: rates) {
            guard let baseline = contrastBaselines?[key] else { continue }
            if estimate.value - baseline.value - shift / 2 > 0 { return false }
        }
        return true
    }

    /// Adds a window to the recent runs (while firing, for `isClear`).
    public mutating func push(_ counts: [String: NoisyGroupCounts]) {
        if let latest = recent.indices.last { recent[latest] = recent[latest].mapValues(\.withoutRunNoise) }
        recent.append(counts.mapValues { GroupRun($0) })
        if recent.count > maxWindows { recent.removeFirst(recent.count - maxWindows) }
    }

    /// Forgets the recent windows (after an alarm and after a resolve), so runs start afresh.
    public mutating func restart() {
        recent.removeAll()
        lastStatistic = 0
    }

    var alarmLevel: Double { metric.isRatio ? level - shift : level + shift }

    private func finding(key: String, value: Estimate, baseline: Double, windows: Int, statistic: Double) -> Finding {
        let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        let (component, first, second) = (parts[0], parts[1], parts[2])
        // The group whose own rate moved more from its reference-period rate (standardized).
        var moved = metric.isRatio ? second : first
        if let rate = Self.components(metric).first(where: { $0.name == component }) {
            let current = runs(length: windows)
            func change(_ group: String) -> Double? {
                guard let now = current[group].flatMap({ estimate(of: $0, rate, windows: windows) }),
                    let then = reference[group].flatMap({ estimate(of: $0, rate, windows: learned) })
                else { return nil }
                let variance = now.variance + then.variance
                return variance > 0 ? abs(now.value - then.value) / variance.squareRoot() : nil
            }
            if let a = change(first), let b = change(second) { moved = a >= b ? first : second }
        }
        return Finding(
            groups: (first, second), movedGroup: moved, component: component, windows: windows, estimate: value,
            baseline: baseline, statistic: statistic)
    }

    private func contrastFinding(
        key: String, value: Estimate, baseline: Double, windows: Int, statistic: Double
    ) -> Finding {
        let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
        let (component, group) = (parts[0], parts[1])
        var finding = Finding(
            groups: (group, ""), movedGroup: group, component: component, windows: windows, estimate: value,
            baseline: baseline, statistic: statistic)
        finding.comparison = parts[2] == "+" ? .groupMinusRest : .restMinusGroup
        finding.others = (contrastGroups?[component] ?? []).filter { $0 != group }
        return finding
    }

    /// The latest `length` windows' counts added up, per group.
    private func runs(length: Int) -> [String: GroupRun] {
        var total: [String: GroupRun] = [:]
        for window in recent.suffix(length) {
            for (key, run) in window {
                if total[key] == nil { total[key] = run } else { total[key]!.append(run) }
            }
        }
        return total
    }

    typealias Component = (name: String, numerator: CountField, denominator: CountField)

    /// How many rates a metric compares (equalized odds: TPR and FPR).
    public static func componentCount(_ metric: FairnessMetric) -> Int { components(metric).count }

    static func components(_ metric: FairnessMetric) -> [Component] {
        switch metric {
        case .demographicParityDifference, .demographicParityRatio:
            [("selection_rate", .predictedPositive, .total)]
        case .equalOpportunityDifference, .equalOpportunityRatio:
            [("true_positive_rate", .truePositive, .labelPositive)]
        case .equalizedOddsDifference, .equalizedOddsRatio:
            [("true_positive_rate", .truePositive, .labelPositive), ("false_positive_rate", .falsePositive, .labelNegative)]
        }
    }

    /// How much an event counted in `overlap` windows inflates a rate's sampling variance over a run of `windows`
    /// windows, against counting each event once: `Σc² / Σc` over the steps, `c` the number of the run's windows
    /// that hold a step (hopping windows of `overlap` steps advancing one step; the steps of similar volume). The
    /// windows of a run are distinct, and consecutive ones overlap most, so the figure bounds any run of that many
    /// windows; it is `overlap` for long runs (every inner step counted `overlap` times) and less for short ones
    /// (a single window counts each of its events once: 1).
    public static func samplingFactor(overlap: Double, windows: Int) -> Double {
        let width = Int(overlap.rounded(.up))
        guard width > 1, windows >= 1 else { return 1 }
        var (sum, squares) = (0, 0)
        let steps = windows + width - 1
        for step in 0..<steps {
            let count = min(step + 1, windows, width, steps - step)
            sum += count
            squares += count * count
        }
        return Double(squares) / Double(sum)
    }

    /// A group's rate over a run, or nil when the group is too small (its noisy size is under `minGroupSize` at the
    /// guard's confidence) or the denominator is under a quarter of that.
    private func estimate(of run: GroupRun, _ component: Component, windows: Int) -> Estimate? {
        let total = run[.total]
        guard total.value - minGroupZ * total.noiseVariance.squareRoot() >= max(minGroupSize, .leastNonzeroMagnitude)
        else { return nil }
        let numerator = run[component.numerator]
        let denominator = run[component.denominator]
        guard denominator.value >= max(1, minGroupSize / 4) else { return nil }
        let p = min(1, max(0, numerator.value / denominator.value))
        let sampling = Self.samplingFactor(overlap: overlap, windows: windows) * p * (1 - p) / denominator.value
        let noise =
            (numerator.noiseVariance + p * p * denominator.noiseVariance) / (denominator.value * denominator.value)
        return Estimate(value: p, samplingVariance: sampling, noiseVariance: noise)
    }

    /// Per component, each group's rate over its run (groups too small for one left out).
    func rates(of groups: [String: GroupRun], windows: Int) -> [String: [String: Estimate]] {
        var rates: [String: [String: Estimate]] = [:]
        for component in Self.components(metric) {
            rates[component.name] = groups.compactMapValues { estimate(of: $0, component, windows: windows) }
        }
        return rates
    }

    /// Every ordered pair's value from the groups' rates.
    private func pairs(of rates: [String: [String: Estimate]]) -> [String: Estimate] {
        var values: [String: Estimate] = [:]
        for component in Self.components(metric) {
            let byGroup = rates[component.name] ?? [:]
            for first in byGroup {
                for second in byGroup where second.key != first.key {
                    let estimate =
                        metric.isRatio
                        ? Estimate.ratio(second.value, first.value) : Estimate.difference(first.value, second.value)
                    guard estimate.value.isFinite, estimate.variance.isFinite else { continue }
                    values[component.name + "\u{1F}" + first.key + "\u{1F}" + second.key] = estimate
                }
            }
        }
        return values
    }
}

/// The counts of one group over a run of consecutive windows.
struct GroupRun: Sendable, Hashable, Codable {
    struct Count: Sendable, Hashable, Codable {
        var value: Double
        /// Sum of the windows' noise variances (the run's variance when the windows' noises are independent).
        var varianceSum: Double
        /// The noise standard deviations of the run's first and last prefix sums, when every window has them.
        var start: Double?
        var end: Double?
        /// The steps of the run's first and last windows and how many windows it adds up, when every window has
        /// a step (`NoisyCount.runNoise`); nil in snapshots from before they were kept.
        var firstStep: Int64?
        var lastStep: Int64?
        var windows: Int?
        /// The exact noise variances of runs ending with the run's last window. Only the latest window of the
        /// test's recent windows keeps them (every run tested ends there).
        var runNoise: NoisyCount.RunNoise?

        init(_ count: NoisyCount) {
            value = count.value
            varianceSum = count.noiseVariance
            start = count.prefixDeviations?.start
            end = count.prefixDeviations?.end
            firstStep = count.runNoise?.step
            lastStep = firstStep
            windows = 1
            runNoise = count.runNoise
        }

        mutating func append(_ later: Count) {
            value += later.value
            varianceSum += later.varianceSum
            if start != nil, let end = later.end { self.end = end } else { (start, end) = (nil, nil) }
            if firstStep != nil, let step = later.lastStep, let windows, let added = later.windows {
                (lastStep, self.windows) = (step, windows + added)
            } else {
                (firstStep, lastStep, windows) = (nil, nil, nil)
            }
            runNoise = later.runNoise
        }

        /// The run's noise variance: exact when its windows are consecutive steps and the privacy layer computed
        /// the variance for its length; otherwise the bound for the difference of its outer prefixes
        /// (`(start + end)²`, whatever their correlation), or the sum of the windows' variances when that is
        /// smaller or the prefixes are unknown.
        var noiseVariance: Double {
            if let firstStep, let lastStep, let windows, let runNoise, runNoise.step == lastStep,
                Int64(windows) == lastStep - firstStep + 1, let exact = runNoise.variance(windows: windows)
            {
                return exact
            }
            guard let start, let end else { return varianceSum }
            return min(varianceSum, (start + end) * (start + end))
        }
    }

    var counts: [Count]

    init(_ group: NoisyGroupCounts) { counts = group.values.map(Count.init) }

    subscript(field: CountField) -> Count { counts[field.index] }

    mutating func append(_ later: GroupRun) {
        for index in counts.indices { counts[index].append(later.counts[index]) }
    }

    /// The run without its exact run variances (a window that is no longer the latest).
    var withoutRunNoise: GroupRun {
        var run = self
        for index in run.counts.indices { run.counts[index].runNoise = nil }
        return run
    }
}

extension SpanShiftTest {
    /// The budget–power statement: the smallest rise of one group's rate that a run of `windows` windows detects
    /// with probability `power`, at a declared volume.
    ///
    /// `groups` groups of `eventsPerGroup` events per window with rate `rate`; the DP noise of a run's count has
    /// variance `runNoiseVariance`, that of the reference period's count `referenceNoiseVariance`. A group's rate
    /// over `k` windows has variance `f·p(1−p)/(k·n) + σ²(1+p²)/(k·n)²` (`f`: `samplingFactor`); a pair's estimate
    /// has twice that, a group-against-the-rest contrast (three or more groups) `1 + 1/(G−1)` times that; the
    /// baseline over the reference period the same with `R` windows. The run alarms when the estimate exceeds the baseline by
    /// `H·V/d + d/2` (`d`: the design shift), so a shift `Δ` is detected with probability `power` once
    /// `Δ ≥ H·V/d + d/2 + z_power·√V`.
    public static func detectableShift(
        eventsPerGroup n: Double, groups: Int = 2, windows k: Int, referenceWindows r: Int, runNoiseVariance: Double,
        referenceNoiseVariance: Double, rate p: Double, overlap: Double, designShift d: Double, threshold h: Double,
        power: Double = 0.9
    ) -> Double {
        func rateVariance(_ windows: Int, _ noise: Double) -> Double {
            let events = Double(windows) * n
            let sampling = samplingFactor(overlap: overlap, windows: windows) * p * (1 - p) / events
            return sampling + noise * (1 + p * p) / (events * events)
        }
        let factor = groups >= 3 ? 1 + 1 / Double(groups - 1) : 2
        let variance = factor * (rateVariance(k, runNoiseVariance) + rateVariance(r, referenceNoiseVariance))
        let z = upperNormalQuantile(1 - power)
        return h * variance / d + d / 2 + z * variance.squareRoot()
    }
}
