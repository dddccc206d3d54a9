import EngineStages
import Testing

@testable import Fairness

private func tally(
    total: Double, selected: Double, positives: Double = 0, truePositives: Double = 0,
    negatives: Double = 0, falsePositives: Double = 0
) -> GroupTally {
    var counts = GroupTally.zero
    counts[.total] = total
    counts[.predictedPositive] = selected
    counts[.labelPositive] = positives
    counts[.truePositive] = truePositives
    counts[.labelNegative] = negatives
    counts[.falsePositive] = falsePositives
    return counts
}

@Test func demographicParityIsMaxMinusMinAndMinOverMax() throws {
    let counts = [
        "a": tally(total: 100, selected: 60), "b": tally(total: 50, selected: 20), "c": tally(total: 10, selected: 5),
    ]
    let report = FairnessReport(counts: counts.mapValues(\.exact), hasLabels: false, options: .fairlearn)
    let difference = try #require(report.disparities[.demographicParityDifference]?.value.estimate)
    let ratio = try #require(report.disparities[.demographicParityRatio]?.value.estimate)
    #expect(abs(difference.value - 0.2) < 1e-12)
    #expect(abs(ratio.value - 0.4 / 0.6) < 1e-12)
    #expect(report.disparities[.demographicParityDifference]?.minGroup == "b")
    #expect(report.disparities[.demographicParityDifference]?.maxGroup == "a")
    #expect(report.disparities[.equalizedOddsDifference] == nil)
}

@Test func equalizedOddsTakesTheWorseOfTprAndFpr() throws {
    // TPR: 0.8 vs 0.5 (difference 0.3, ratio 0.625); FPR: 0.2 vs 0.1 (difference 0.1, ratio 0.5).
    let counts = [
        "a": tally(total: 20, selected: 10, positives: 10, truePositives: 8, negatives: 10, falsePositives: 2),
        "b": tally(total: 20, selected: 6, positives: 10, truePositives: 5, negatives: 10, falsePositives: 1),
    ]
    let report = FairnessReport(counts: counts.mapValues(\.exact), hasLabels: true, options: .fairlearn)
    #expect(abs(report.disparities[.equalizedOddsDifference]!.value.estimate!.value - 0.3) < 1e-12)
    #expect(report.disparities[.equalizedOddsDifference]!.component == "true_positive_rate")
    #expect(abs(report.disparities[.equalizedOddsRatio]!.value.estimate!.value - 0.5) < 1e-12)
    #expect(report.disparities[.equalizedOddsRatio]!.component == "false_positive_rate")
    #expect(abs(report.disparities[.equalOpportunityRatio]!.value.estimate!.value - 0.625) < 1e-12)
}

@Test func fairlearnModeGivesZeroRateAndNaNRatioWithoutPositives() throws {
    let counts = [
        "a": tally(total: 5, selected: 2, positives: 0, negatives: 5, falsePositives: 2),
        "b": tally(total: 5, selected: 1, positives: 0, negatives: 5, falsePositives: 1),
    ]
    let report = FairnessReport(counts: counts.mapValues(\.exact), hasLabels: true, options: .fairlearn)
    #expect(report.groups[0].metrics.truePositiveRate?.estimate?.value == 0)
    #expect(report.disparities[.equalOpportunityRatio]!.value.estimate!.value.isNaN)
    // Python's min([nan, x]) keeps the NaN, as Fairlearn's worst case does.
    #expect(report.disparities[.equalizedOddsRatio]!.value.estimate!.value.isNaN)
}

@Test func smallGroupsAreInsufficientNeverZero() throws {
    let counts = [
        "a": tally(total: 100, selected: 50), "b": tally(total: 80, selected: 30), "tiny": tally(total: 3, selected: 0),
    ]
    let report = FairnessReport(
        counts: counts.mapValues(\.exact), hasLabels: false, options: MetricOptions(minGroupSize: 30))
    let tiny = try #require(report.groups.first { $0.key == "tiny" }?.metrics)
    #expect(tiny.selectionRate == .insufficient(.belowMinimumGroupSize))
    #expect(report.insufficientGroups == ["tiny"])
    // The tiny group's 0 selection rate does not set the disparity.
    #expect(report.disparities[.demographicParityDifference]?.minGroup == "b")
    let alone = FairnessReport(
        counts: ["a": tally(total: 100, selected: 50).exact, "tiny": tally(total: 3, selected: 0).exact],
        hasLabels: false, options: MetricOptions(minGroupSize: 30))
    #expect(alone.disparities[.demographicParityDifference]?.value == .insufficient(.fewerThanTwoGroups))
}

@Test func rateVarianceCombinesBinomialSamplingAndDeltaMethodNoise() throws {
    let estimate = try #require(
        Estimate.rate(
            NoisyCount(value: 30, noiseVariance: 4), over: NoisyCount(value: 100, noiseVariance: 9), clamp: true))
    #expect(abs(estimate.samplingVariance - 0.3 * 0.7 / 100) < 1e-15)
    #expect(abs(estimate.noiseVariance - (4 + 0.09 * 9) / 10_000) < 1e-15)
}

@Test func predictedVarianceOfNoisyDifferenceMatchesMonteCarlo() throws {
    // Fixed true counts, DP noise only: the spread of the published difference must match its noise variance.
    var noise = TestOnlyGaussianNoise(sigma: 5, seed: 42)
    let truth = ["a": tally(total: 200, selected: 120), "b": tally(total: 150, selected: 60)]
    var values: [Double] = []
    var predicted = 0.0
    for _ in 0..<4000 {
        var released: [String: NoisyGroupCounts] = [:]
        for (group, counts) in truth {
            var noisy = NoisyGroupCounts(repeating: .exact(0))
            for field in CountField.allCases { noisy[field] = noise.release(counts[field]) }
            released[group] = noisy
        }
        let report = FairnessReport(counts: released, hasLabels: false, options: MetricOptions(clampRates: false))
        let estimate = try #require(report.disparities[.demographicParityDifference]?.value.estimate)
        values.append(estimate.value)
        predicted += estimate.noiseVariance
    }
    predicted /= Double(values.count)
    let mean = values.reduce(0, +) / Double(values.count)
    let observed = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
    #expect(abs(observed / predicted - 1) < 0.1, "observed \(observed) predicted \(predicted)")
    #expect(abs(mean - 0.2) < 0.005)
}
