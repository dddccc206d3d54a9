import Timestamps

/// One alert transition, published on `<name>.alerts` and optionally posted to a webhook.
public struct AlertEvent: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable { case firing, resolved }
    public enum Rule: String, Sendable, Hashable, Codable {
        /// The sequential drift test on the gap to the baseline.
        case drift
        /// A ratio metric whose confidence interval lies under the four-fifths threshold.
        case fourFifths = "four_fifths"
        /// A difference metric whose confidence interval lies above its configured limit.
        case parityLimit = "parity_limit"
    }

    /// The estimate an alert rests on, with its confidence interval: for a threshold rule the pair of groups whose
    /// interval lies beyond the threshold; for the likelihood-ratio drift test the pair and run of windows with the
    /// largest statistic.
    public struct Interval: Sendable, Hashable, Codable {
        public var value: Double
        public var low: Double
        public var high: Double
        /// One-sided error rate of each bound (the interval is `value ∓ z·stderr` with `Φ̄(z) = error_rate`).
        public var errorRate: Double
        /// The two groups compared (first minus second for a difference, second over first for a ratio); for a
        /// group-against-the-rest contrast (`comparison`), the group first, then the groups whose mean rate it is
        /// compared with.
        public var groups: [String]
        /// Nil for a pair; `group_minus_rest` (the first group's rate minus the mean rate of the others) or
        /// `rest_minus_group` for the drift test's group-against-the-rest contrasts.
        public var comparison: String?
        /// Windows the estimate is computed over (1 for a threshold rule).
        public var windows: Int
        /// The pair's baseline (drift) or the rule's threshold.
        public var reference: Double?

        public init(
            value: Double, standardError: Double, errorRate: Double, groups: [String], windows: Int,
            reference: Double?, comparison: String? = nil
        ) {
            let z = SpanShiftTest.upperNormalQuantile(errorRate)
            self.value = value
            low = value - z * standardError
            high = value + z * standardError
            self.errorRate = errorRate
            self.groups = groups
            self.windows = windows
            self.reference = reference
            self.comparison = comparison
        }

        enum CodingKeys: String, CodingKey {
            case value, low, high, groups, windows, reference, comparison
            case errorRate = "error_rate"
        }
    }

    public var status: Status
    public var rule: Rule
    /// Stable across firing and resolve of the same condition, at most 255 characters.
    public var dedupKey: String
    public var pipeline: String
    public var metric: FairnessMetric
    /// The sensitive attribute (columns joined with `|`).
    public var attribute: String
    public var severity: String
    public var summary: String
    public var runbookURL: String?
    /// The window whose evaluation caused this transition.
    public var window: WindowBounds
    public var value: Double
    public var standardError: Double
    public var baseline: Double?
    /// The threshold the rule compares with (`h` of the drift test on the standardized scale, or 0.8).
    public var threshold: Double
    /// The group with the smallest and the largest rate, and each group's rate behind the metric.
    public var minGroup: String?
    public var maxGroup: String?
    public var groupValues: [String: Double]
    /// When the condition started (event time, ms) and, once resolved, when it ended.
    public var startsAt: Int64
    public var endsAt: Int64?
    /// `private` (from DP noisy counts) or `raw` (exact counts, trusted internal use).
    public var mode: FairnessConfig.Mode
    /// The group the alert is about: the disadvantaged group of a threshold rule, the group whose rate moved for
    /// drift.
    public var group: String? = nil
    /// The estimate behind the alert with its confidence interval.
    public var interval: Interval? = nil

    enum CodingKeys: String, CodingKey {
        case status, rule, pipeline, metric, attribute, severity, summary, window, value, baseline, threshold, mode
        case group, interval
        case dedupKey = "dedup_key"
        case runbookURL = "runbook_url"
        case standardError = "stderr"
        case minGroup = "min_group"
        case maxGroup = "max_group"
        case groupValues = "group_values"
        case startsAt = "starts_at"
        case endsAt = "ends_at"
    }

    /// `<pipeline>/fairness/<rule>/<attribute>/<metric>`, cut to 238 characters plus a hash of the whole when longer,
    /// so it stays unique, stable and within PagerDuty's 255-character limit.
    public static func dedupKey(pipeline: String, rule: Rule, attribute: String, metric: FairnessMetric) -> String {
        let key = "\(pipeline)/fairness/\(rule.rawValue)/\(attribute)/\(metric.rawValue)"
        guard key.utf8.count > 255 else { return key }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        var prefix = Substring(key)
        while prefix.utf8.count > 238 { prefix = prefix.dropLast() }
        return prefix + "/" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Formats event time (ms since the epoch) as RFC 3339 UTC, e.g. `2026-11-29T04:31:00.000Z`.
public func rfc3339(milliseconds: Int64) -> String { Timestamp.formatRFC3339(milliseconds: milliseconds) }
