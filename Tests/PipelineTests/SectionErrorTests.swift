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
}
