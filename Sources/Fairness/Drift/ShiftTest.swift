import Foundation

/// The likelihood-ratio CUSUM for a shift of a disparity metric by a configured amount, watched pair by pair.
///
/// A difference metric is the largest `r_i − r_j` over ordered pairs of groups of a rate `r` (selection rate, TPR,
/// FPR); a ratio metric is the smallest `r_j / r_i`. In every release step (a closed window) each ordered pair has an
/// estimate `x` with a known variance `v` (sampling plus the counts' DP noise, times the over-dispersion learned in
/// the reference period) and a baseline `b`. The metric is worse by `shift` than its baseline `B` (the worst pair
/// baseline, or the configured target) once some pair reaches the level `L = B + shift` (`B − shift` for a ratio).
/// For each pair, with `d = L − b`, the Gaussian log-likelihood ratio of "the pair is at `L`" against "the pair is
/// at `b`" is `(d / v)(x − b − d / 2)`; its CUSUM `W = max(0, W + …)` alarms when it exceeds `H`.
///
/// - Ordered pairs make the test two-sided on every signed gap (two groups changing places is the reverse pair
///   rising) and keep it linear in each window's rates, where `max − min` of noisy rates folds the noise upwards.
/// - Weighting by `d / v` makes the evidence per event independent of the window length: short windows (frequent
///   release steps) cost only their extra DP noise, and the statistic moves at every step.
/// - `H` gives each of the `P` watched pairs an in-control average run length of `P / falseAlarmRate` windows (so
///   about `falseAlarmRate` false alarms per window in all) by Siegmund's approximation for Gaussian steps with
///   standardized shift `δ = |d| / √v̄`, corrected for the baseline's own error: a baseline off by `β` scales the
///   in-control alarm rate by about `e^{2Hβ/d}`, `e^{2H² Var b / d²}` on average over the reference period's
///   sampling error. Without that correction and overshoot, the martingale bound `ARL ≥ e^H` per pair holds
///   for any step sizes.
public struct ShiftTest: Sendable, Hashable, Codable {
    public let metric: FairnessMetric
    /// The change of the metric the test is tuned to (metric units).
    public let shift: Double
    public let falseAlarmRate: Double
    public let target: Double?
    public let referenceWindows: Int
    private var learned = 0
    private var pairs: [String: Pair] = [:]
    // Optional rather than infinite / NaN, so that snapshots encode as plain JSON.
    private var thresholdValue: Double?
    private var levelValue: Double?

    /// Alarm threshold `H` on the log-likelihood-ratio CUSUM (infinite while the baseline is being learned).
    public var threshold: Double { thresholdValue ?? .infinity }
    /// The metric's baseline `B` (NaN while it is being learned).
    public var level: Double { levelValue ?? .nan }

    struct Pair: Sendable, Hashable, Codable {
        var baseline: Baseline
        /// The variance of one window's estimate the threshold was set for.
        var windowVariance: Double
        var cusum = 0.0
    }

    public init(metric: FairnessMetric, shift: Double, falseAlarmRate: Double, target: Double?, referenceWindows: Int) {
        self.metric = metric
        self.shift = shift
        self.falseAlarmRate = falseAlarmRate
        self.target = target
        self.referenceWindows = max(1, referenceWindows)
        levelValue = target
    }

    public var isReady: Bool { target != nil || learned >= referenceWindows }

    /// The largest pair statistic (compared with `threshold`).
    public var statistic: Double { pairs.values.lazy.map(\.cusum).max() ?? 0 }

    /// Pairs watched (bounded by the groups seen in the reference period, or in the stream with a target).
    public var watchedPairs: Int { pairs.count }

    /// Adds a reference window's pair values; once `referenceWindows` windows are in, fixes the baselines, the
    /// pairs watched and the threshold.
    public mutating func learn(_ values: [String: Estimate]) {
        guard !isReady else { return }
        let fresh = Pair(baseline: Baseline(target: nil, referenceWindows: referenceWindows), windowVariance: 0)
        for (key, estimate) in values { pairs[key, default: fresh].baseline.learn(estimate) }
        learned += 1
        guard isReady else { return }
        // A pair present in under half the reference windows has no trustworthy baseline: it is not watched.
        pairs = pairs.filter { 2 * $0.value.baseline.observations >= referenceWindows }
        pairs = pairs.mapValues { pair in
            var fixed = pair
            fixed.windowVariance = pair.baseline.windowVariance
            return fixed
        }
        let baselines = pairs.values.map(\.baseline.value)
        levelValue = metric.isRatio ? baselines.min() : baselines.max()
        updateThreshold()
    }

    /// What one window says about every watched pair, before it is added.
    public struct Step: Sendable, Hashable {
        /// Log-likelihood-ratio increment per pair.
        public var increments: [String: Double] = [:]
        /// The largest standardized gap of a pair towards its alarm level (positive = worse).
        public var gap: Double?
        /// Whether every pair is nearer its baseline than its alarm level (a firing alert counts this as clear).
        public var clear: Bool { increments.values.allSatisfy { $0 <= 0 } }
    }

    /// The window's step. With a target, a pair seen for the first time joins the watched pairs here.
    public mutating func step(_ values: [String: Estimate]) -> Step {
        if let target {
            var added = false
            for (key, estimate) in values where pairs[key] == nil {
                pairs[key] = Pair(
                    baseline: Baseline(target: target, referenceWindows: referenceWindows),
                    windowVariance: estimate.variance)
                added = true
            }
            if added { updateThreshold() }
        }
        var step = Step()
        let alarmLevel = metric.isRatio ? level - shift : level + shift
        for (key, pair) in pairs {
            guard let estimate = values[key] else { continue }
            let variance = pair.baseline.dispersion * estimate.variance
            guard variance > 0, variance.isFinite else { continue }
            let b = pair.baseline.value
            let d = alarmLevel - b
            step.increments[key] = d / variance * (estimate.value - b - d / 2)
            let gap = (d < 0 ? b - estimate.value : estimate.value - b) / variance.squareRoot()
            step.gap = max(step.gap ?? gap, gap)
        }
        return step
    }

    /// Adds a window's step; true when the test alarms (it then restarts).
    public mutating func add(_ step: Step) -> Bool {
        addReportingAlarm(step) != nil
    }

    /// `add`, returning the statistic that crossed the threshold (before the reset), or nil.
    public mutating func addReportingAlarm(_ step: Step) -> Double? {
        for (key, increment) in step.increments {
            guard let cusum = pairs[key]?.cusum else { continue }
            pairs[key]?.cusum = max(0, cusum + increment)
        }
        guard statistic > threshold else { return nil }
        defer { reset() }
        return statistic
    }

    public mutating func reset() {
        for key in pairs.keys { pairs[key]!.cusum = 0 }
    }

    private mutating func updateThreshold() {
        let alarmLevel = metric.isRatio ? level - shift : level + shift
        let value = Self.threshold(
            pairs: pairs.values.map { (alarmLevel - $0.baseline.value, $0.windowVariance, $0.baseline.variance) },
            falseAlarmRate: falseAlarmRate)
        thresholdValue = value.isFinite ? value : nil
    }

    /// The smallest `H` giving every pair an in-control ARL of `pairs.count / falseAlarmRate` windows (Siegmund),
    /// after the baseline-error correction; the largest over pairs. A pair whose window variance is unknown gets
    /// the martingale bound `H = ln(P / falseAlarmRate)`. When the baseline is too uncertain for any `H` to reach
    /// the rate after the correction (a short reference period), the uncorrected `H`: lengthen the reference period.
    static func threshold(
        pairs: [(shift: Double, windowVariance: Double, baselineVariance: Double)], falseAlarmRate: Double
    ) -> Double {
        guard !pairs.isEmpty else { return .infinity }
        let target = log(Double(pairs.count) / falseAlarmRate)
        return pairs.map { pair in
            guard pair.windowVariance > 0, pair.windowVariance.isFinite, pair.shift != 0 else { return target }
            let delta = abs(pair.shift) / pair.windowVariance.squareRoot()
            let penalty = 2 * max(0, pair.baselineVariance) / (pair.shift * pair.shift)
            func solve(penalty: Double) -> Double? {
                func margin(_ h: Double) -> Double {
                    logAverageRunLength(threshold: h, delta: delta) - penalty * h * h - target
                }
                // The margin rises up to h = 1 / (2 · penalty), where the baseline's error starts to dominate.
                var high = penalty > 0 ? min(200, 1 / (2 * penalty)) : 200
                guard margin(high) >= 0 else { return nil }
                var low = 0.0
                for _ in 0..<100 {
                    let middle = (low + high) / 2
                    if margin(middle) < 0 { low = middle } else { high = middle }
                }
                return high
            }
            return solve(penalty: penalty) ?? solve(penalty: 0) ?? target
        }.max() ?? target
    }

    /// Siegmund's approximation of the log in-control ARL of a Gaussian log-likelihood-ratio CUSUM with threshold
    /// `H` and standardized shift `δ`: `ln[(e^{H + 1.166δ} − H − 1.166δ − 1) / (δ² / 2)]`.
    static func logAverageRunLength(threshold h: Double, delta: Double) -> Double {
        let x = h + 1.166 * delta
        let numerator = x > 30 ? x : log(exp(x) - x - 1)
        return numerator - log(delta * delta / 2)
    }

    /// Every ordered pair's value in one window: `r_i − r_j` (difference metric) or `r_j / r_i` (ratio metric) of
    /// each rate the metric reads, over the groups large enough to take part.
    public static func pairs(of report: FairnessReport, metric: FairnessMetric) -> [String: Estimate] {
        let components: [(name: String, rate: KeyPath<GroupMetrics, MetricValue?>)] =
            switch metric {
            case .demographicParityDifference, .demographicParityRatio: [("selection_rate", \.selectionRateOptional)]
            case .equalOpportunityDifference, .equalOpportunityRatio: [("true_positive_rate", \.truePositiveRate)]
            case .equalizedOddsDifference, .equalizedOddsRatio:
                [("true_positive_rate", \.truePositiveRate), ("false_positive_rate", \.falsePositiveRate)]
            }
        var values: [String: Estimate] = [:]
        for (name, rate) in components {
            let rates = report.groups.compactMap { group -> (key: String, rate: Estimate)? in
                guard group.metrics.sufficient, let estimate = group.metrics[keyPath: rate]?.estimate else {
                    return nil
                }
                return (group.key, estimate)
            }
            for first in rates {
                for second in rates where second.key != first.key {
                    let estimate =
                        metric.isRatio
                        ? Estimate.ratio(second.rate, first.rate) : Estimate.difference(first.rate, second.rate)
                    guard estimate.value.isFinite, estimate.variance.isFinite else { continue }
                    values[name + "\u{1F}" + first.key + "\u{1F}" + second.key] = estimate
                }
            }
        }
        return values
    }
}
