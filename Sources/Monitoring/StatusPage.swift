import EngineStages
import Fairness
import Pipeline
import Foundation
import Privacy
import Timestamps

/// The live status page (`GET /`): one self-contained HTML document, inline CSS and SVG, no
/// scripts or external assets, refreshing itself every few seconds.
public enum StatusPage {
    public static func render(_ topologies: [StatusSnapshot.Topology], refreshSeconds: Int = 5) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <title>Steward status</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2330;background:#f6f7f9}
            h1{font-size:1.4em;margin:0 0 .5em}h2{font-size:1.2em;margin:1.2em 0 .4em}
            h3{font-size:1em;margin:1em 0 .3em}
            section.topology{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:1em 1.2em;margin:1em 0}
            .tiles{display:flex;flex-wrap:wrap;gap:.8em}.tile{border:1px solid #e3e6eb;border-radius:4px;padding:.4em .8em;min-width:8em}
            .tile b{display:block;font-size:1.3em}.ok{color:#17803d}.bad{color:#b42318}.muted{color:#667085}
            table{border-collapse:collapse;margin:.3em 0}td,th{border-bottom:1px solid #e3e6eb;padding:.2em .6em;text-align:left}
            th{font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
            svg text{font:12px system-ui,sans-serif;fill:#1d2330}
            .firing{background:#fde8e7}.resolved{background:#e8f5ec}
            </style></head><body>
            <h1>Steward status</h1>
            <p class="muted">Refreshes every \(refreshSeconds) s. Fairness values are the released (noisy) ones; bands are ±2 standard errors (sampling and privacy noise).</p>

            """
        if topologies.isEmpty { html += "<p>No topology is running.</p>" }
        for topology in topologies { html += section(topology) }
        html += "</body></html>\n"
        return html
    }

    static func section(_ t: StatusSnapshot.Topology) -> String {
        var html = "<section class=\"topology\" id=\"topology-\(escape(t.name))\">\n<h2>\(escape(t.name))</h2>\n"
        let readiness =
            t.ready
            ? "<span class=\"ok\">ready</span>"
            : "<span class=\"bad\">not ready</span> <span class=\"muted\">(waiting for \(escape(t.pending.joined(separator: ", "))))</span>"
        html += "<div class=\"tiles\">"
        html += tile("status", readiness)
        html += tile("records/s", format(t.recordsPerSecond, digits: 1))
        html += tile("consumed", "\(t.counters.consumed)")
        html += tile("sanitized", "\(t.counters.sanitized)")
        html += tile("dead letters", "<span class=\"\(t.counters.deadLettered > 0 ? "bad" : "ok")\">\(t.counters.deadLettered)</span>")
        html += tile("batches committed / aborted", "\(t.batches) / \(t.aborted)")
        html += tile("alerts firing", "<span class=\"\(t.firing.isEmpty ? "ok" : "bad")\">\(t.firing.count)</span>")
        if let time = t.streamTime { html += tile("event time", escape(Timestamp.formatRFC3339(milliseconds: time))) }
        if t.restoreProgress < 1 { html += tile("state restore", format(t.restoreProgress * 100, digits: 0) + " %") }
        html += "</div>\n"

        if !t.counters.deadLettersByReason.isEmpty {
            html += "<h3>Dead letters by reason</h3>"
            html += table(["reason", "records"], t.counters.deadLettersByReason.sorted { $0.key < $1.key }.map { [escape($0.key), "\($0.value)"] })
        }
        if !t.redactions.isEmpty {
            html += "<h3>Redactions by entity type</h3>"
            html += table(["entity", "spans"], t.redactions.sorted { $0.key < $1.key }.map { [escape($0.key), "\($0.value)"] })
        }
        if let latest = t.windows.last {
            html += fairness(latest, history: t.windows)
        } else {
            html += "<p class=\"muted\">No fairness window has closed yet.</p>"
        }
        html += alerts(t)
        html += "</section>\n"
        return html
    }

    static func fairness(_ notice: WindowNotice, history: [WindowNotice]) -> String {
        let evaluation = notice.evaluation
        var html = "<h3>Fairness: window \(evaluation.index), \(escape(Timestamp.formatRFC3339(milliseconds: evaluation.window.start))) to \(escape(Timestamp.formatRFC3339(milliseconds: evaluation.window.end))) (\(escape(evaluation.mode.rawValue)) mode)</h3>\n"
        if let privacy = notice.privacy {
            html += "<p class=\"privacy\">Privacy: \(escape(privacy.mechanism)), ρ = \(number(privacy.rho)) (ε = \(format(privacy.epsilon, digits: 3)), δ = \(number(privacy.delta))) per \(escape(privacy.unit.rawValue)); budget spent so far ρ = \(number(privacy.rhoSpent)) (ε = \(format(privacy.epsilonSpent, digits: 3))).</p>\n"
        } else {
            html += "<p class=\"privacy muted\">No privacy guarantee on these counts (\(escape(evaluation.mode.rawValue)) mode).</p>\n"
        }
        for (attribute, report) in evaluation.reports {
            html += "<h3>\(escape(attribute)): selection rate per group</h3>\n"
            html += groupChart(report)
            var rows: [[String]] = []
            for metric in FairnessMetric.allCases {
                guard let disparity = report.disparities[metric] else { continue }
                rows.append([escape(metric.rawValue), value(disparity.value), escape(disparity.minGroup ?? ""), escape(disparity.maxGroup ?? "")])
            }
            if !rows.isEmpty { html += table(["disparity", "value ± 2 s.e.", "min group", "max group"], rows) }
        }
        if !evaluation.drift.isEmpty {
            html += "<h3>Drift against thresholds</h3>\n"
            html += driftChart(evaluation.drift)
        }
        if history.count > 1 {
            html += "<h3>Latest windows</h3>"
            html += table(
                ["window", "end", "groups (selection rate)"],
                history.reversed().map { notice in
                    let groups = notice.evaluation.reports.flatMap { report in
                        report.report.groups.map { "\(report.attribute)=\($0.key): \(value($0.metrics.selectionRate))" }
                    }
                    return [
                        "\(notice.evaluation.index)", escape(Timestamp.formatRFC3339(milliseconds: notice.evaluation.window.end)),
                        escape(groups.joined(separator: "; ")),
                    ]
                })
        }
        return html
    }

    /// One row per group: the selection rate as a dot with its ±2 s.e. band, on a 0–1 axis.
    static func groupChart(_ report: FairnessReport) -> String {
        let rowHeight = 26
        let labelWidth = 160
        let plotWidth = 420
        let height = rowHeight * report.groups.count + 30
        var svg = "<svg class=\"groups\" width=\"\(labelWidth + plotWidth + 140)\" height=\"\(height)\" role=\"img\" aria-label=\"selection rate per group\">\n"
        for tick in stride(from: 0.0, through: 1.0, by: 0.25) {
            let x = labelWidth + Int(tick * Double(plotWidth))
            svg += "<line x1=\"\(x)\" y1=\"0\" x2=\"\(x)\" y2=\"\(height - 18)\" stroke=\"#e3e6eb\"/><text x=\"\(x - 8)\" y=\"\(height - 4)\">\(format(tick, digits: 2))</text>\n"
        }
        for (row, group) in report.groups.enumerated() {
            let y = row * rowHeight + 16
            svg += "<text class=\"group\" x=\"0\" y=\"\(y + 4)\">\(escape(group.key))</text>\n"
            guard let estimate = group.metrics.selectionRate.estimate, estimate.value.isFinite else {
                svg += "<text x=\"\(labelWidth)\" y=\"\(y + 4)\" class=\"muted\">insufficient data</text>\n"
                continue
            }
            func x(_ v: Double) -> Int { labelWidth + Int(min(1, max(0, v)) * Double(plotWidth)) }
            let band = 2 * (estimate.standardError.isFinite ? estimate.standardError : 0)
            svg += "<rect x=\"\(x(estimate.value - band))\" y=\"\(y - 5)\" width=\"\(max(1, x(estimate.value + band) - x(estimate.value - band)))\" height=\"10\" fill=\"#9ec5fe\"/>"
            svg += "<circle cx=\"\(x(estimate.value))\" cy=\"\(y)\" r=\"5\" fill=\"#1f5fbf\"/>"
            svg += "<text x=\"\(labelWidth + plotWidth + 10)\" y=\"\(y + 4)\">\(value(group.metrics.selectionRate))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// One bar per drift test: its statistic against its threshold (the red line).
    static func driftChart(_ drift: [DriftStatus]) -> String {
        let rowHeight = 26
        let labelWidth = 300
        let plotWidth = 300
        // A test still learning its reference has an infinite threshold: it sets neither the scale nor a line.
        let largest = drift.map { max($0.statistic.isFinite ? $0.statistic : 0, $0.threshold.isFinite ? $0.threshold : 0) }
        let scale = max(1, largest.max() ?? 1) * 1.1
        var svg = "<svg class=\"drift\" width=\"\(labelWidth + plotWidth + 200)\" height=\"\(rowHeight * drift.count + 8)\" role=\"img\" aria-label=\"drift statistics\">\n"
        for (row, status) in drift.enumerated() {
            let y = row * rowHeight + 16
            let statistic = status.statistic.isFinite ? max(0, status.statistic) : 0
            let width = Int(statistic / scale * Double(plotWidth))
            let over = status.statistic >= status.threshold
            svg += "<text x=\"0\" y=\"\(y + 4)\">\(escape(status.attribute)) · \(escape(status.metric.rawValue))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y - 7)\" width=\"\(max(1, width))\" height=\"14\" fill=\"\(over ? "#d92d20" : "#98a2b3")\"/>"
            if status.threshold.isFinite {
                let threshold = labelWidth + Int(status.threshold / scale * Double(plotWidth))
                svg += "<line x1=\"\(threshold)\" y1=\"\(y - 10)\" x2=\"\(threshold)\" y2=\"\(y + 10)\" stroke=\"#b42318\" stroke-width=\"2\"/>"
            }
            svg += "<text x=\"\(labelWidth + plotWidth + 10)\" y=\"\(y + 4)\">\(format(status.statistic, digits: 2)) / \(format(status.threshold, digits: 2)) (\(escape(status.phase.rawValue)))</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func alerts(_ t: StatusSnapshot.Topology) -> String {
        var html = "<h3>Alerts</h3>\n"
        if t.firing.isEmpty {
            html += "<p class=\"ok\">No alert is firing.</p>\n"
        } else {
            html += table(
                ["firing", "attribute", "metric", "value", "threshold", "summary"],
                t.firing.values.sorted { $0.dedupKey < $1.dedupKey }.map {
                    [escape($0.dedupKey), escape($0.attribute), escape($0.metric.rawValue), format($0.value, digits: 3), format($0.threshold, digits: 3), escape($0.summary)]
                }, rowClass: "firing", id: "alerts-firing")
        }
        if !t.transitions.isEmpty {
            html += "<h3>Recent alert transitions</h3>\n"
            html += "<table><tr><th>status</th><th>alert</th><th>window end</th><th>value</th></tr>"
            for alert in t.transitions.reversed() {
                html += "<tr class=\"\(alert.status.rawValue)\"><td>\(alert.status.rawValue)</td><td>\(escape(alert.dedupKey))</td><td>\(escape(Timestamp.formatRFC3339(milliseconds: alert.window.end)))</td><td class=\"num\">\(format(alert.value, digits: 3))</td></tr>"
            }
            html += "</table>\n"
        }
        if t.deliveryFailures > 0 {
            html += "<p class=\"bad\">\(t.deliveryFailures) alert deliveries failed.</p>\n"
        }
        return html
    }

    static func tile(_ label: String, _ content: String) -> String {
        "<div class=\"tile\"><span class=\"muted\">\(escape(label))</span><b>\(content)</b></div>"
    }

    static func table(_ header: [String], _ rows: [[String]], rowClass: String? = nil, id: String? = nil) -> String {
        var html = "<table\(id.map { " id=\"\($0)\"" } ?? "")><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
        let attribute = rowClass.map { " class=\"\($0)\"" } ?? ""
        for row in rows { html += "<tr\(attribute)>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>" }
        return html + "</table>\n"
    }

    static func value(_ value: MetricValue) -> String {
        switch value {
        case .value(let estimate):
            guard estimate.value.isFinite else { return "–" }
            let band = estimate.standardError.isFinite ? " ± \(format(2 * estimate.standardError, digits: 3))" : ""
            return format(estimate.value, digits: 3) + band
        case .insufficient(let reason):
            return "insufficient (\(escape(reason.rawValue)))"
        }
    }

    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "–" }

    static func format(_ value: Double, digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "–"
    }

    /// Text for HTML element content and quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
