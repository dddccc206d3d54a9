import Testing

@testable import Fairness

/// Each per-group rate has its own denominator: selection over the group, TPR over its label
/// positives, FPR over its label negatives (three different numbers here, so a swapped or shared
/// denominator changes a value).
@Test func groupRatesUseTheirOwnDenominators() throws {
    var counts = GroupTally.zero
    counts[.total] = 100
    counts[.predictedPositive] = 40
    counts[.labelPositive] = 30
    counts[.truePositive] = 24
    counts[.labelNegative] = 70
    counts[.falsePositive] = 16
    let metrics = GroupMetrics(counts: counts.exact, hasLabels: true, hasScores: false, options: .fairlearn)
    #expect(abs(try #require(metrics.selectionRate.estimate).value - 0.4) < 1e-15)
    #expect(abs(try #require(metrics.truePositiveRate?.estimate).value - 0.8) < 1e-15)
    #expect(abs(try #require(metrics.falsePositiveRate?.estimate).value - 16.0 / 70.0) < 1e-15)
}
