import Fairness
import Foundation
import Pipeline
import Privacy

/// JSON renderings of fairness results for the command line.
public enum FairnessJSON {
    /// A number, or null when it is not finite (Fairlearn's NaN for 0/0).
    public static func number(_ value: Double) -> JSONValue { .double(value) }

    public static func text(_ value: JSONValue) -> String { String(decoding: JSONWriter.encode(value), as: UTF8.self) }

    /// The `steward fairness evaluate` object: plain values, exactly the contract's keys (plus mean_score with --score).
    public static func evaluation(_ report: FairnessReport) -> String {
        func plain(_ value: MetricValue?) -> JSONValue { value?.estimate.map { number($0.value) } ?? .null }
        var groups: [(key: String, value: JSONValue)] = []
        for (key, metrics) in report.groups {
            var members: [(key: String, value: JSONValue)] = [
                ("count", number(metrics.count.value)), ("selection_rate", plain(metrics.selectionRate)),
            ]
            if report.hasLabels {
                members.append(("true_positive_rate", plain(metrics.truePositiveRate)))
                members.append(("false_positive_rate", plain(metrics.falsePositiveRate)))
            }
            if let meanScore = metrics.meanScore { members.append(("mean_score", plain(meanScore))) }
            groups.append((key, .object(members)))
        }
        var members: [(key: String, value: JSONValue)] = [("by_group", .object(groups))]
        for metric in FairnessMetric.allCases {
            guard let disparity = report.disparities[metric] else { continue }
            members.append((metric.rawValue, plain(disparity.value)))
        }
        return text(.object(members))
    }

    /// A value with its uncertainty, or the reason it is insufficient.
    public static func metricValue(_ value: MetricValue) -> JSONValue {
        switch value {
        case .value(let estimate):
            return .object([
                ("value", number(estimate.value)), ("stderr", number(estimate.standardError)),
                ("sampling_variance", number(estimate.samplingVariance)),
                ("noise_variance", number(estimate.noiseVariance)),
            ])
        case .insufficient(let reason):
            return .object([("value", .null), ("insufficient", .string(reason.rawValue))])
        }
    }

    /// A windowed report with uncertainty on every value.
    public static func report(_ report: FairnessReport) -> JSONValue {
        var groups: [(key: String, value: JSONValue)] = []
        for (key, metrics) in report.groups {
            var members: [(key: String, value: JSONValue)] = [
                ("count", metricValue(.value(metrics.count))), ("sufficient", .bool(metrics.sufficient)),
                ("selection_rate", metricValue(metrics.selectionRate)),
            ]
            if let rate = metrics.truePositiveRate { members.append(("true_positive_rate", metricValue(rate))) }
            if let rate = metrics.falsePositiveRate { members.append(("false_positive_rate", metricValue(rate))) }
            if let meanScore = metrics.meanScore { members.append(("mean_score", metricValue(meanScore))) }
            groups.append((key, .object(members)))
        }
        var members: [(key: String, value: JSONValue)] = [
            ("by_group", .object(groups)),
            ("insufficient_groups", .array(report.insufficientGroups.map { .string($0) })),
        ]
        for metric in FairnessMetric.allCases {
            guard let disparity = report.disparities[metric] else { continue }
            var entry: [(key: String, value: JSONValue)] = [("metric", metricValue(disparity.value))]
            if let low = disparity.minGroup { entry.append(("min_group", .string(low))) }
            if let high = disparity.maxGroup { entry.append(("max_group", .string(high))) }
            if let component = disparity.component, metric == .equalizedOddsRatio || metric == .equalizedOddsDifference
            {
                entry.append(("component", .string(component)))
            }
            members.append((metric.rawValue, .object(entry)))
        }
        return .object(members)
    }

    /// One closed window: per attribute its report with uncertainty, the drift status, the input counters.
    /// With per-user bounding, `privacy` also states the caps. The input counters are published in
    /// raw mode only.
    public static func window(
        _ evaluation: WindowEvaluation, counters: StreamCounters, noise: String?, privacy: PrivacyStatement? = nil,
        bounding: UserBounding? = nil
    ) -> JSONValue {
        func optional(_ value: Double?) -> JSONValue { value.map(number) ?? .null }
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string("fairness.window")), ("mode", .string(evaluation.mode.rawValue)),
            ("index", number(Double(evaluation.index))),
            (
                "window",
                .object([
                    ("start", number(Double(evaluation.window.start))), ("end", number(Double(evaluation.window.end))),
                    ("start_time", .string(rfc3339(milliseconds: evaluation.window.start))),
                    ("end_time", .string(rfc3339(milliseconds: evaluation.window.end))),
                ])
            ),
        ]
        if let noise { members.append(("noise", .string(noise))) }
        if let privacy { members.append(("privacy", Self.privacy(privacy, bounding: bounding))) }
        members.append(("attributes", .object(evaluation.reports.map { ($0.attribute, report($0.report)) })))
        members.append(
            (
                "drift",
                .array(
                    evaluation.drift.map { status in
                        .object([
                            ("attribute", .string(status.attribute)), ("metric", .string(status.metric.rawValue)),
                            ("value", metricValue(status.value)), ("baseline", optional(status.baseline)),
                            ("gap", optional(status.gap)), ("statistic", number(status.statistic)),
                            ("threshold", number(status.threshold)), ("phase", .string(status.phase.rawValue)),
                        ])
                    })
            ))
        // Exact input counters only with exact counts (raw mode): beside private counts they would
        // publish exact numbers of records (the metrics carry them for the operator).
        guard privacy == nil else { return .object(members) }
        members.append(
            (
                "counters",
                .object([
                    ("accepted", number(Double(counters.accepted))),
                    ("accepted_late", number(Double(counters.acceptedLate))),
                    ("dropped_late", number(Double(counters.droppedLate))),
                    ("dead_lettered", number(Double(counters.deadLettered))),
                    ("reassigned_late", number(Double(counters.reassignedLate))),
                    ("feedback_joined", number(Double(counters.feedbackJoined))),
                    ("feedback_unmatched", number(Double(counters.feedbackUnmatched))),
                    ("feedback_beyond_horizon", number(Double(counters.feedbackBeyondHorizon))),
                    ("labels_expired", number(Double(counters.labelsExpired))),
                ])
            ))
        return .object(members)
    }

    /// The guarantee as fields (numbers in shortest round-trip form: `0.6`). With the user unit,
    /// `rho`/`epsilon`/`delta` are per person per epoch, and the user field and caps follow.
    public static func privacy(_ statement: PrivacyStatement, bounding: UserBounding? = nil) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("mechanism", .string(statement.mechanism)), ("rho", number(statement.rho)),
            ("epsilon", number(statement.epsilon)), ("delta", number(statement.delta + (statement.selectionDelta ?? 0))),
            ("unit", .string(statement.unit.rawValue)), ("rho_spent", number(statement.rhoSpent)),
        ]
        if let selection = statement.selectionDelta {
            members += [("conversion_delta", number(statement.delta)), ("selection_delta", number(selection))]
        }
        if let bounding { members += bounding.members }
        return .object(members)
    }

    /// One alert transition, tagged `"type": "fairness.alert"`.
    public static func alert(_ event: AlertEvent) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try JSONParser.parse([UInt8](try encoder.encode(event)))
        guard case .object(let members) = body else { return body }
        return .object([("type", .string("fairness.alert"))] + members)
    }
}
