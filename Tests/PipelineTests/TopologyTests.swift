import Testing

@testable import EngineStages
@testable import Pipeline

@Suite struct TopologyLoading {
    @Test func shippedPassThroughTopologyIsValid() throws {
        let text = try String(contentsOfFile: repositoryPath("Topologies/passthrough.yaml"), encoding: .utf8)
        let topology = try Topology.load(yaml: text, file: "passthrough.yaml")
        #expect(topology.name == "passthrough")
        #expect(topology.input.topics == ["events"])
        #expect(topology.output.sanitized == "passthrough.sanitized")
        #expect(topology.output.deadLetter == "passthrough.dlq")
        #expect(topology.delivery == .exactlyOnce)
    }

    @Test func reportsEveryProblemWithItsPosition() {
        let yaml = """
            name: bad name!
            inptu:
              topic: x
            input:
              topic: events
              max_message_bytes: -3
              fields:
                id: strin
              required: id
            delivery: twice
            redacton: {}
            """
        do {
            _ = try Topology.load(yaml: yaml, file: "t.yaml")
            Issue.record("expected errors")
        } catch {
            let lines = error.issues.map(\.description)
            #expect(lines.contains { $0.hasPrefix("t.yaml:1:7: name 'bad name!'") })
            #expect(lines.contains { $0.hasPrefix("t.yaml:2:1: unknown key 'inptu' in topology; did you mean 'input'?") })
            #expect(lines.contains { $0.hasPrefix("t.yaml:6:22: max_message_bytes must be a positive integer") })
            #expect(lines.contains { $0.hasPrefix("t.yaml:8:9: field 'id' has unknown type") })
            #expect(lines.contains { $0.hasPrefix("t.yaml:9:13: input.required must be a list") })
            #expect(lines.contains { $0.hasPrefix("t.yaml:10:11: delivery must be exactly_once or at_least_once") })
            #expect(lines.contains { $0.hasPrefix("t.yaml:11:1: unknown key 'redacton' in topology; did you mean 'redaction'?") })
            #expect(lines.count == 7)
        }
    }

    @Test func invalidYAMLIsReportedAtItsPosition() {
        #expect(throws: TopologyErrors.self) { try Topology.load(yaml: "name: [unclosed\n", file: "x.yaml") }
        let error = #expect(throws: TopologyErrors.self) {
            try Topology.load(yaml: "name: a\ninput:\n  topic: t\n   bad: indentation\n", file: "x.yaml")
        }
        #expect(error?.issues.first?.description.hasPrefix("x.yaml:4:") == true)
    }
}

func repositoryPath(_ relative: String) -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent(relative).path
}

import Foundation
