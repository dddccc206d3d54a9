import Foundation

/// A one-sided sequential change detector on standardized gaps `z` (N(0, 1) while nothing changed).
///
/// CUSUM: `S = max(0, S + z − k)`, alarm when `S > h`. Page–Hinkley keeps `m = Σ(z − k)` and its running minimum
/// and alarms when `m − min m > h`; the two raise the same alarms, and both are offered because operators know
/// both names. `h` is set from the configured false-alarm rate with Siegmund's approximation of the in-control
/// average run length, `ARL₀ ≈ (e^{2kb} − 2kb − 1) / (2k²)` with `b = h + 1.166`.
public struct SequentialDetector: Sendable, Hashable, Codable {
    public let test: DriftSpec.Test
    public let reference: Double
    public let threshold: Double
    private var cusum: Double = 0
    private var cumulative: Double = 0
    private var minimum: Double = 0

    public init(test: DriftSpec.Test, reference: Double, falseAlarmRate: Double) {
        self.test = test
        self.reference = reference
        threshold = Self.threshold(reference: reference, falseAlarmRate: falseAlarmRate)
    }

    /// The current statistic (compared with `threshold`).
    public var statistic: Double { test == .pageHinkley ? cumulative - minimum : cusum }

    /// Feeds one standardized gap; true when the detector alarms (it then restarts).
    public mutating func update(_ z: Double) -> Bool {
        switch test {
        case .cusum, .likelihoodRatio:
            cusum = max(0, cusum + z - reference)
        case .pageHinkley:
            cumulative += z - reference
            minimum = min(minimum, cumulative)
        }
        guard statistic > threshold else { return false }
        reset()
        return true
    }

    public mutating func reset() {
        cusum = 0
        cumulative = 0
        minimum = 0
    }

    /// Siegmund's approximation of the in-control ARL of a one-sided CUSUM with reference `k` and threshold `h`.
    public static func averageRunLength(reference k: Double, threshold h: Double) -> Double {
        let b = 2 * k * (h + 1.166)
        return (exp(b) - b - 1) / (2 * k * k)
    }

    /// The threshold whose in-control ARL is `1 / falseAlarmRate` evaluations.
    public static func threshold(reference: Double, falseAlarmRate: Double) -> Double {
        let target = 1 / falseAlarmRate
        var low = 0.0
        var high = 200.0
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if averageRunLength(reference: reference, threshold: middle) < target {
                low = middle
            } else {
                high = middle
            }
        }
        return high
    }
}

/// The baseline of one watched series: configured target, or the mean of a reference period of windows.
///
/// From the reference period it also learns an over-dispersion factor (observed variance between windows over the
/// variance the counts predict, at least 1), so a metric that varies more than sampling and DP noise explain does
/// not raise false alarms.
public struct Baseline: Sendable, Hashable, Codable {
    public let target: Double?
    public let referenceWindows: Int
    private var count = 0
    private var sum = 0.0
    private var sumSquares = 0.0
    private var sumVariances = 0.0

    public init(target: Double?, referenceWindows: Int) {
        self.target = target
        self.referenceWindows = max(1, referenceWindows)
    }

    public var isReady: Bool { target != nil || count >= referenceWindows }

    /// Adds a reference window's value; ignored once ready.
    public mutating func learn(_ estimate: Estimate) {
        guard !isReady, estimate.value.isFinite, estimate.variance.isFinite else { return }
        count += 1
        sum += estimate.value
        sumSquares += estimate.value * estimate.value
        sumVariances += estimate.variance
    }

    /// The baseline value.
    public var value: Double { target ?? (count > 0 ? sum / Double(count) : .nan) }

    /// Reference windows learned.
    public var observations: Int { count }

    /// Mean predicted (sampling + noise) variance of one reference window, times the over-dispersion.
    public var windowVariance: Double { count > 0 ? dispersion * sumVariances / Double(count) : .nan }

    /// Variance of the baseline value (0 for a target).
    public var variance: Double {
        guard target == nil, count > 0 else { return 0 }
        return dispersion * sumVariances / Double(count * count)
    }

    /// Observed between-window variance over predicted variance when it is significantly above 1 (beyond two
    /// standard errors of a sample variance ratio, `1 + 2·√(2/(n−1))`), else 1; 1 for a target. Testing first keeps
    /// chance excess in a short reference period from slowing detection.
    public var dispersion: Double {
        guard target == nil, count > 1, sumVariances > 0 else { return 1 }
        let n = Double(count)
        let ratio = (sumSquares - sum * sum / n) / (n - 1) / (sumVariances / n)
        return ratio > 1 + 2 * (2 / (n - 1)).squareRoot() ? ratio : 1
    }

    /// The standardized gap of `estimate` to the baseline, signed so that positive means worse.
    public func standardizedGap(_ estimate: Estimate, worseIsLower: Bool) -> Double? {
        let variance = dispersion * estimate.variance + variance
        guard isReady, estimate.value.isFinite, variance > 0 else { return nil }
        let gap = worseIsLower ? value - estimate.value : estimate.value - value
        return gap / variance.squareRoot()
    }
}
