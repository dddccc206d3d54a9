/// A count as the privacy layer releases it: an unbiased estimate and the variance of the noise added to it.
///
/// Every published fairness metric is computed from these, never from raw counts, so publishing metrics costs no
/// privacy budget beyond the counts themselves. In raw (trusted, non-private) mode the variance is 0.
public struct NoisyCount: Sendable, Hashable, Codable {
    public var value: Double
    public var noiseVariance: Double
    /// When the window's count is the difference of two noisy prefix sums (continual release): the standard
    /// deviations of the noise of the earlier prefix (`start`) and of the later one (`end`). The count of a run of
    /// consecutive windows is then the difference of its outer prefixes, whose noise has a standard deviation of at
    /// most `start` of the first window + `end` of the last, however many windows the run spans. Nil when the
    /// windows' noises are independent (test-only noise): a run's noise variance is then the sum of its windows'.
    public var prefixDeviations: PrefixDeviations?
    /// The exact noise variances of the counts of runs of consecutive windows ending with this one, where the
    /// privacy layer computes them (continual release with BLT or sqrt); nil otherwise, and a run's noise is then
    /// bounded with `prefixDeviations`.
    public var runNoise: RunNoise?

    /// The noise standard deviations of the two prefix sums a window's count is the difference of.
    public struct PrefixDeviations: Sendable, Hashable, Codable {
        public var start: Double
        public var end: Double

        public init(start: Double, end: Double) {
            self.start = start
            self.end = end
        }
    }

    /// The noise variances of the counts of the runs of `lengths` consecutive windows that end with a window.
    public struct RunNoise: Sendable, Hashable, Codable {
        /// The window's step (its index from the privacy origin): a run of k windows is the steps `step − k + 1
        /// ... step`, and its count the difference of the prefix sums at `step − k` and `step`.
        public var step: Int64
        public var lengths: [Int]
        /// `variances[i]`: the noise variance of the count of the run of `lengths[i]` windows ending here.
        public var variances: [Double]

        public init(step: Int64, lengths: [Int], variances: [Double]) {
            precondition(lengths.count == variances.count)
            self.step = step
            self.lengths = lengths
            self.variances = variances
        }

        /// The noise variance of the run of `windows` windows ending here, when it was computed.
        public func variance(windows: Int) -> Double? { lengths.firstIndex(of: windows).map { variances[$0] } }
    }

    public init(
        value: Double, noiseVariance: Double, prefixDeviations: PrefixDeviations? = nil, runNoise: RunNoise? = nil
    ) {
        self.value = value
        self.noiseVariance = noiseVariance
        self.prefixDeviations = prefixDeviations
        self.runNoise = runNoise
    }

    /// An exact count with no noise (raw mode).
    public static func exact(_ count: Double) -> NoisyCount {
        NoisyCount(value: count, noiseVariance: 0, prefixDeviations: PrefixDeviations(start: 0, end: 0))
    }

    enum CodingKeys: String, CodingKey {
        case value
        case noiseVariance = "noise_variance"
        case prefixDeviations = "prefix_deviations"
        case runNoise = "run_noise"
    }
}

/// The counts kept per window and group; each is one DP series for the privacy layer.
public enum CountField: String, CaseIterable, Codable, Sendable {
    /// Records in the group.
    case total
    /// Records predicted positive.
    case predictedPositive = "predicted_positive"
    /// Records whose (possibly delayed) label is positive.
    case labelPositive = "label_positive"
    /// Records whose (possibly delayed) label is negative.
    case labelNegative = "label_negative"
    /// Predicted positive and labelled positive.
    case truePositive = "true_positive"
    /// Predicted positive and labelled negative.
    case falsePositive = "false_positive"
    /// Records that carried a score.
    case scored
    /// Sum of scores (clamped to [0, 1] by the monitor, so one record moves it by at most 1).
    case scoreSum = "score_sum"
}

/// Counts of one group, generic over the count type: `Double` for exact tallies, `NoisyCount` for released ones.
public struct GroupCounts<Count: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    public var values: [Count]

    public init(repeating count: Count) { values = Array(repeating: count, count: CountField.allCases.count) }

    public subscript(field: CountField) -> Count {
        get { values[field.index] }
        set { values[field.index] = newValue }
    }
}

extension CountField {
    var index: Int {
        switch self {
        case .total: 0
        case .predictedPositive: 1
        case .labelPositive: 2
        case .labelNegative: 3
        case .truePositive: 4
        case .falsePositive: 5
        case .scored: 6
        case .scoreSum: 7
        }
    }
}

/// Exact counts of one group in one window (the input of the privacy layer).
public typealias GroupTally = GroupCounts<Double>

/// Released counts of one group in one window (the input of every published metric).
public typealias NoisyGroupCounts = GroupCounts<NoisyCount>

extension GroupCounts where Count == Double {
    /// An empty tally.
    public static var zero: GroupTally { GroupTally(repeating: 0) }

    /// Counts one record: its prediction, its label when known, its score when present.
    public mutating func add(prediction: Bool, label: Bool?, score: Double?) {
        self[.total] += 1
        if prediction { self[.predictedPositive] += 1 }
        if let label { addLabel(label, prediction: prediction) }
        if let score {
            self[.scored] += 1
            self[.scoreSum] += score
        }
    }

    /// Counts a label that arrived for a record already counted (a delayed feedback join).
    public mutating func addLabel(_ label: Bool, prediction: Bool) {
        if label {
            self[.labelPositive] += 1
            if prediction { self[.truePositive] += 1 }
        } else {
            self[.labelNegative] += 1
            if prediction { self[.falsePositive] += 1 }
        }
    }

    /// Adds another tally field by field (combining panes into a window).
    public mutating func merge(_ other: GroupTally) {
        for index in values.indices { values[index] += other.values[index] }
    }

    /// The tally as released counts with no noise: the marked raw (non-private) mode.
    public var exact: NoisyGroupCounts {
        var counts = NoisyGroupCounts(repeating: .exact(0))
        for field in CountField.allCases { counts[field] = .exact(self[field]) }
        return counts
    }
}
