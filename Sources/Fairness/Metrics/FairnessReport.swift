/// The group-fairness metrics named and defined as in Fairlearn 0.15 (`fairlearn.metrics`).
public enum FairnessMetric: String, CaseIterable, Sendable, Hashable, Codable {
    /// max − min over groups of the selection rate `P[ŷ=1 | A=a]`.
    case demographicParityDifference = "demographic_parity_difference"
    /// min / max over groups of the selection rate.
    case demographicParityRatio = "demographic_parity_ratio"
    /// The larger of the TPR and FPR differences (Fairlearn's `agg="worst_case"`).
    case equalizedOddsDifference = "equalized_odds_difference"
    /// The smaller of the TPR and FPR ratios (Fairlearn's `agg="worst_case"`).
    case equalizedOddsRatio = "equalized_odds_ratio"
    /// max − min over groups of the true positive rate `P[ŷ=1 | A=a, Y=1]`.
    case equalOpportunityDifference = "equal_opportunity_difference"
    /// min / max over groups of the true positive rate.
    case equalOpportunityRatio = "equal_opportunity_ratio"

    /// Whether the metric needs labels.
    public var needsLabels: Bool { self != .demographicParityDifference && self != .demographicParityRatio }

    /// Whether the metric is a ratio (parity at 1) rather than a difference (parity at 0).
    public var isRatio: Bool {
        self == .demographicParityRatio || self == .equalizedOddsRatio || self == .equalOpportunityRatio
    }
}

/// One disparity metric: its value with uncertainty and the groups that set it.
public struct Disparity: Sendable, Hashable {
    public var value: MetricValue
    /// The group with the smallest rate, and the one with the largest.
    public var minGroup: String?
    public var maxGroup: String?
    /// Which rate set an equalized-odds value (`true_positive_rate` or `false_positive_rate`).
    public var component: String?
}

/// Per-group metrics and the six disparity metrics of one window or one offline evaluation.
public struct FairnessReport: Sendable, Hashable {
    /// Groups in ascending order of their key (intersectional keys joined with `|`).
    public var groups: [(key: String, metrics: GroupMetrics)]
    public var disparities: [FairnessMetric: Disparity]
    public var hasLabels: Bool

    public static func == (lhs: FairnessReport, rhs: FairnessReport) -> Bool {
        lhs.hasLabels == rhs.hasLabels && lhs.disparities == rhs.disparities
            && lhs.groups.map(\.key) == rhs.groups.map(\.key) && lhs.groups.map(\.metrics) == rhs.groups.map(\.metrics)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(groups.map(\.key))
        hasher.combine(hasLabels)
    }

    /// Groups under the minimum size: reported as insufficient, never as 0.
    public var insufficientGroups: [String] { groups.filter { !$0.metrics.sufficient }.map(\.key) }

    /// Computes every metric from released counts per group.
    ///
    /// - Parameters:
    ///   - counts: per group key, its released counts (exact counts with variance 0 in raw mode).
    ///   - hasLabels: whether labels exist (label-based metrics are omitted otherwise).
    ///   - hasScores: whether to publish the mean score.
    public init(
        counts: [String: NoisyGroupCounts], hasLabels: Bool, hasScores: Bool = false,
        options: MetricOptions = MetricOptions()
    ) {
        self.hasLabels = hasLabels
        let groups: [(key: String, metrics: GroupMetrics)] = counts.keys.sorted().map { key in
            (key, GroupMetrics(counts: counts[key]!, hasLabels: hasLabels, hasScores: hasScores, options: options))
        }
        let minimumGroups = options.fairlearnZeroDivision ? 1 : 2
        func extremes(_ rate: KeyPath<GroupMetrics, MetricValue?>) -> (
            min: (String, Estimate), max: (String, Estimate)
        )? {
            var low: (String, Estimate)?
            var high: (String, Estimate)?
            var present = 0
            for (key, metrics) in groups {
                guard metrics.sufficient, let estimate = metrics[keyPath: rate]?.estimate else { continue }
                present += 1
                if low == nil || estimate.value < low!.1.value { low = (key, estimate) }
                if high == nil || estimate.value > high!.1.value { high = (key, estimate) }
            }
            guard present >= minimumGroups, let low, let high else { return nil }
            return (low, high)
        }
        func pair(_ rate: KeyPath<GroupMetrics, MetricValue?>, _ name: String?) -> (
            difference: Disparity, ratio: Disparity
        ) {
            guard let (low, high) = extremes(rate) else {
                let none = Disparity(
                    value: .insufficient(.fewerThanTwoGroups), minGroup: nil, maxGroup: nil, component: name)
                return (none, none)
            }
            return (
                Disparity(
                    value: .value(.difference(high.1, low.1)), minGroup: low.0, maxGroup: high.0, component: name),
                Disparity(value: .value(.ratio(low.1, high.1)), minGroup: low.0, maxGroup: high.0, component: name)
            )
        }
        let selection = pair(\.selectionRateOptional, nil)
        var disparities = [
            FairnessMetric.demographicParityDifference: selection.difference, .demographicParityRatio: selection.ratio,
        ]
        if hasLabels {
            let tpr = pair(\.truePositiveRate, "true_positive_rate")
            let fpr = pair(\.falsePositiveRate, "false_positive_rate")
            disparities[.equalOpportunityDifference] = tpr.difference
            disparities[.equalOpportunityRatio] = tpr.ratio
            // Fairlearn takes Python's max()/min() over [tpr, fpr]: the FPR value replaces the TPR one only when it
            // is strictly larger (difference) or smaller (ratio), so a NaN TPR ratio stays NaN as it does there.
            disparities[.equalizedOddsDifference] = Self.worse(tpr.difference, fpr.difference) { $0 > $1 }
            disparities[.equalizedOddsRatio] = Self.worse(tpr.ratio, fpr.ratio) { $0 < $1 }
        }
        self.groups = groups
        self.disparities = disparities
    }

    private static func worse(_ tpr: Disparity, _ fpr: Disparity, _ replaces: (Double, Double) -> Bool) -> Disparity {
        guard let t = tpr.value.estimate else { return tpr }
        guard let f = fpr.value.estimate else { return fpr }
        return replaces(f.value, t.value) ? fpr : tpr
    }
}

extension GroupMetrics {
    var selectionRateOptional: MetricValue? { selectionRate }
}
