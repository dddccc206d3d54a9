import Foundation
import Testing

@testable import EngineStages
@testable import Pipeline

/// Engine sections are decoded from the YAML nodes the reader composed, so a problem inside a
/// section is reported at its own line and column, not only at the section's first line.
@Suite struct SectionErrorLocations {
    let topology = """
        name: located
        input:
          topic: in
          event_time: {field: ts}
        fairness:
          mode: private
          sensitive: [region]
          prediction: p
          window: {type: tumbling, size: 10m}
        privacy:
          mechanism: blt
          rho: RHO
          horizon: 1024
          release_interval: 10m
          series_per_event: 6
        """

    func issues(_ yaml: String) -> [TopologyIssue] {
        do {
            _ = try buildProcessor(yaml, variables: ["STEWARD_NOISE_KEY": String(repeating: "ab", count: 32)])
        } catch let errors as TopologyErrors {
            return errors.issues
        } catch {
            Issue.record("unexpected \(error)")
        }
        return []
    }

    @Test func aWrongValueIsReportedWhereItIs() {
        let found = issues(topology.replacingOccurrences(of: "RHO", with: "plenty"))
        let rho = found.first { $0.message.hasPrefix("privacy:") }
        #expect(rho?.line == 12, "\(found)")
        #expect(rho?.column == 8, "\(found)")
    }

    @Test func aMissingKeyIsReportedAtItsMapping() {
        let found = issues(
            topology.replacingOccurrences(of: "RHO", with: "0.1").replacingOccurrences(of: "  prediction: p\n", with: ""))
        let missing = found.first { $0.message.hasPrefix("fairness:") }
        #expect(missing?.message.contains("prediction") == true, "\(found)")
        #expect(missing?.line == 6, "\(found)")
        #expect(missing?.column == 3, "\(found)")
    }

    @Test func aValidTopologyHasNoIssues() {
        #expect(issues(topology.replacingOccurrences(of: "RHO", with: "0.1")).isEmpty)
    }

    /// The redaction policy is decoded from the section's node too: its messages keep naming the
    /// value and are reported where the value is.
    @Test func aRedactionProblemIsReportedWhereItIs() {
        let redaction = """
            name: located
            input: {topic: in}
            redaction:
              fields:
                - {path: $.a, operator: drop}
                - path: x
              operators:
                PERSON: {type: mask, keep_last: many}
            """
        let found = issues(redaction.replacingOccurrences(of: "many", with: "2")).map(\.description)
        let prefix = "redaction: invalid redaction policy:"
        #expect(found == ["t.yaml:6:13: \(prefix) `redaction.fields[1].path`: a JSON path starts with `$`"], "\(found)")
        let operators = issues(redaction.replacingOccurrences(of: "path: x", with: "path: $.b")).map(\.description)
        #expect(
            operators == ["t.yaml:8:37: \(prefix) `redaction.operators.PERSON.keep_last` must be an integer"],
            "\(operators)")
    }
}
