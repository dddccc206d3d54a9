import CommandSupport
import EngineStages
import Fairness
import Foundation
import Monitoring
import Pipeline
import Privacy
import Synchronization
import Timestamps

/// The demo's live view, from the same snapshots the status page renders: redrawn in place each
/// second on a terminal, printed as plain lines every few seconds otherwise. Alert transitions are
/// printed as one line each as they happen when the output is not a terminal.
final class DemoView: Sendable {
    let boards: [PipelineMetrics]
    /// Where the broker and the status page are, and what is fed: printed once, or atop each redraw.
    let header: [String]
    let interactive: Bool
    let start = ContinuousClock.now
    /// Without a terminal, the status lines come this often.
    static let lineInterval: Duration = .seconds(5)

    struct State {
        var seen: Set<String> = []
        var transitions: [String] = []
        var lastLines: ContinuousClock.Instant?
    }
    let state = Mutex(State())

    init(boards: [PipelineMetrics], header: [String], interactive: Bool) {
        self.boards = boards
        self.header = header
        self.interactive = interactive
        if !interactive { for line in header { printLine(line) } }
    }

    /// Alert transitions not seen before, as lines; they are kept for the final summary.
    func newTransitions(in snapshots: [StatusSnapshot.Topology]) -> [String] {
        state.withLock { state in
            var fresh: [String] = []
            for snapshot in snapshots {
                for alert in snapshot.transitions {
                    let key = "\(alert.dedupKey) \(alert.status.rawValue) \(alert.window.end)"
                    guard state.seen.insert(key).inserted else { continue }
                    fresh.append(Self.describe(alert, topology: snapshot.name))
                }
            }
            state.transitions += fresh
            return fresh
        }
    }

    func refresh() {
        let snapshots = boards.map { $0.snapshot() }
        let fresh = newTransitions(in: snapshots)
        if interactive {
            let lines =
                ["Steward demo: \(elapsed()) s  (Ctrl-C stops)"] + header + [""] + snapshots.flatMap(Self.lines)
                + alertLines()
            print("\u{1B}[H\u{1B}[J" + lines.joined(separator: "\n"))
        } else {
            for line in fresh { printLine(line) }
            let due = state.withLock { state in
                guard state.lastLines.map({ ContinuousClock.now - $0 >= Self.lineInterval }) ?? true else {
                    return false
                }
                state.lastLines = .now
                return true
            }
            if due {
                for snapshot in snapshots {
                    printLine("[\(elapsed()) s] " + Self.lines(snapshot).joined(separator: " | "))
                }
            }
        }
    }

    /// The end of the run: every alert transition seen and each topology's counters as JSON.
    func finish(summaries: [(topology: String, json: String)]) {
        // The pipelines' last batches may have fired more.
        for line in newTransitions(in: boards.map { $0.snapshot() }) where !interactive { printLine(line) }
        let transitions = state.withLock { $0.transitions }
        printLine("")
        printLine("alert transitions: \(transitions.count)")
        for line in transitions { printLine("  " + line) }
        for (topology, json) in summaries { printLine("processed \(topology): \(json)") }
    }

    func alertLines() -> [String] {
        let transitions = state.withLock { $0.transitions }
        return ["", "Alerts (latest first):"]
            + (transitions.isEmpty ? ["  none yet"] : transitions.suffix(8).reversed().map { "  " + $0 })
    }

    func elapsed() -> Int {
        Int((ContinuousClock.now - start).components.seconds)
    }

    static func describe(_ alert: AlertEvent, topology: String) -> String {
        let group = alert.group.map { " group \($0)" } ?? ""
        return "alert \(alert.status.rawValue): \(topology) \(alert.rule.rawValue) \(alert.attribute)\(group) "
            + "\(alert.metric.rawValue) = \(format(alert.value, digits: 3)) (window ending "
            + "\(Timestamp.formatRFC3339(milliseconds: alert.window.end)))"
    }

    /// One topology: throughput, dead letters, redactions, the latest window's noisy counts with the
    /// budget, and the fairness metric per group.
    static func lines(_ t: StatusSnapshot.Topology) -> [String] {
        var lines = [
            "\(t.name): \(format(t.recordsPerSecond, digits: 0)) records/s, consumed \(t.counters.consumed), "
                + "dead letters \(t.counters.deadLettered)\(listing(t.counters.deadLettersByReason)), "
                + "alerts firing \(t.firing.count)"
        ]
        if !t.redactions.isEmpty { lines.append("  redactions\(listing(t.redactions))") }
        guard let latest = t.windows.last else {
            lines.append("  no fairness window closed yet")
            return lines
        }
        let evaluation = latest.evaluation
        var window =
            "  window \(evaluation.index) ending \(Timestamp.formatRFC3339(milliseconds: evaluation.window.end))"
        if let privacy = latest.privacy {
            window +=
                ": \(privacy.mechanism) ρ \(format(privacy.rho, digits: 3)) per \(privacy.unit.rawValue), "
                + "spent ρ \(format(privacy.rhoSpent, digits: 2)) (ε \(format(privacy.epsilonSpent, digits: 1)))"
        }
        lines.append(window)
        for (attribute, report) in evaluation.reports {
            let counts = report.groups.map {
                "\($0.key) \(format($0.metrics.count.value, digits: 0))±\(format(2 * $0.metrics.count.standardError, digits: 0))"
            }
            lines.append("  \(attribute) noisy counts: " + counts.joined(separator: ", "))
            let rates = report.groups.map { "\($0.key) \(rate($0.metrics.selectionRate))" }
            var line = "  \(attribute) selection rate: " + rates.joined(separator: ", ")
            if let parity = report.disparities[.demographicParityDifference] {
                line += "; parity difference \(rate(parity.value))"
            }
            lines.append(line)
        }
        return lines
    }

    static func listing(_ counts: [String: Int]) -> String {
        counts.isEmpty
            ? ""
            : " (" + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }

    static func rate(_ value: MetricValue) -> String {
        guard let estimate = value.estimate else { return "–" }
        return format(estimate.value, digits: 2) + "±" + format(2 * estimate.standardError, digits: 2)
    }

    static func format(_ value: Double, digits: Int) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "–"
    }
}
