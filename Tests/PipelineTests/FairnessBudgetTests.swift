import Foundation
import Testing

@testable import EngineStages
@testable import Pipeline

/// `steward validate --describe`'s budget–power statement: the smallest detectable shift falls with the declared
/// volume and rises with the noise, and validation warns when the 6-window figure after 30 days is over 0.2.
@Test func budgetStatementFollowsVolumeAndBudget() throws {
    let file = repositoryPath("Topologies/chats.yaml")
    let text = try String(contentsOfFile: file, encoding: .utf8)
    func statement(_ replacements: [(String, String)]) throws -> FairnessBudgetStatement {
        var yaml = text
        for (old, new) in replacements { yaml = yaml.replacingOccurrences(of: old, with: new) }
        #expect(yaml != text || replacements.isEmpty)
        return try #require(try Topology.load(yaml: yaml, file: file).fairnessBudget())
    }
    let shipped = try statement([])
    #expect(shipped.lines.count == 1 && shipped.lines[0].contains("region: 200 events per group per window (4 groups)"))
    // The shipped chats topology: about 0.15 after 30 days with the exact noise of a run (0.226 under the
    // worst-case bound (σa + σb)², which warned).
    #expect(shipped.warnings.isEmpty)
    func sixWindowFigure(_ s: FairnessBudgetStatement) -> Double {
        let line = s.lines[0]
        let after = line.components(separatedBy: "within 6 windows ")[1]
        return Double(after.components(separatedBy: " after 1 day, ")[1].components(separatedBy: " ")[0])!
    }
    let large = try statement([("expected_events_per_window: 800", "expected_events_per_window: 4000")])
    #expect(sixWindowFigure(large) < sixWindowFigure(shipped))
    #expect(sixWindowFigure(large) <= 0.2 && large.warnings.isEmpty)
    let poor = try statement([("rho: 0.1", "rho: 0.01")])
    #expect(sixWindowFigure(poor) > sixWindowFigure(shipped) && sixWindowFigure(poor) > 0.2)
    #expect(poor.warnings.count == 1 && poor.warnings[0].contains("over region after 30 days"))
    let undeclared = try statement([("  expected_events_per_window: 800\n", "")])
    #expect(undeclared.lines[0].contains("declare fairness.expected_events_per_window") && undeclared.warnings.isEmpty)
}
