import Foundation

/// Webhook bodies for alert transitions: Alertmanager API v2 and PagerDuty Events API v2.
public enum AlertPayloads {
    /// The body of `POST /api/v2/alerts`: a JSON array of postable alerts. A resolved alert carries `endsAt`
    /// (its resolve time), which Alertmanager takes as resolved once that time has passed.
    public static func alertmanager(_ events: [AlertEvent], generatorURL: String? = nil) throws -> Data {
        struct Postable: Encodable {
            var labels: [String: String]
            var annotations: [String: String]
            var startsAt: String
            var endsAt: String?
            var generatorURL: String?
        }
        let alerts = events.map { event in
            var annotations = [
                "summary": event.summary, "value": format(event.value), "stderr": format(event.standardError),
                "window": "\(rfc3339(milliseconds: event.window.start))/\(rfc3339(milliseconds: event.window.end))",
                "groups": event.groupValues.sorted { $0.key < $1.key }.map { "\($0.key)=\(format($0.value))" }
                    .joined(separator: ", "),
            ]
            annotations["runbook_url"] = event.runbookURL
            annotations["baseline"] = event.baseline.map(format)
            return Postable(
                labels: [
                    "alertname": "StewardFairness", "pipeline": event.pipeline, "rule": event.rule.rawValue,
                    "metric": event.metric.rawValue, "attribute": event.attribute, "severity": event.severity,
                    "dedup_key": event.dedupKey, "mode": event.mode.rawValue,
                ],
                annotations: annotations, startsAt: rfc3339(milliseconds: event.startsAt),
                endsAt: event.endsAt.map { rfc3339(milliseconds: $0) }, generatorURL: generatorURL)
        }
        return try encoder.encode(alerts)
    }

    /// The body of a PagerDuty Events v2 `enqueue` call: `trigger` on firing, `resolve` (same dedup key) on resolved.
    /// The routing key is a secret: pass it from the environment, never from the topology.
    public static func pagerDuty(_ event: AlertEvent, routingKey: String) throws -> Data {
        struct Link: Encodable {
            var href: String
            var text: String
        }
        struct Payload: Encodable {
            var summary: String
            var source: String
            var severity: String
            var timestamp: String
            var component: String
            var group: String
            var `class`: String
            var custom_details: [String: String]
        }
        struct Body: Encodable {
            var routing_key: String
            var event_action: String
            var dedup_key: String
            var payload: Payload?
            var links: [Link]?
        }
        var details = [
            "value": format(event.value), "stderr": format(event.standardError), "mode": event.mode.rawValue,
            "window_start": rfc3339(milliseconds: event.window.start),
            "window_end": rfc3339(milliseconds: event.window.end),
        ]
        details["baseline"] = event.baseline.map(format)
        for (group, value) in event.groupValues { details["group:\(group)"] = format(value) }
        let body = Body(
            routing_key: routingKey, event_action: event.status == .firing ? "trigger" : "resolve",
            dedup_key: event.dedupKey,
            payload: event.status == .resolved
                ? nil
                : Payload(
                    summary: String(event.summary.prefix(1024)), source: "steward/\(event.pipeline)",
                    severity: pagerDutySeverity(event.severity), timestamp: rfc3339(milliseconds: event.startsAt),
                    component: event.attribute, group: event.metric.rawValue, class: event.rule.rawValue,
                    custom_details: details),
            links: event.runbookURL.map { [Link(href: $0, text: "Runbook")] })
        return try encoder.encode(body)
    }

    /// PagerDuty accepts only critical, error, warning and info.
    static func pagerDutySeverity(_ severity: String) -> String {
        ["critical", "error", "warning", "info"].contains(severity) ? severity : "warning"
    }

    static func format(_ value: Double) -> String { value.isFinite ? String(format: "%.6g", value) : "NaN" }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
