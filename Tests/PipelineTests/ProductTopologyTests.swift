import Foundation
import Privacy
import Runtime
import Testing

@testable import EngineStages
@testable import Pipeline

/// The three shipped topologies, run offline over their shipped samples.
@Suite struct ProductTopologies {
    static let testKey = ["STEWARD_NOISE_KEY": String(repeating: "5a", count: 32)]

    func processor(_ name: String, variables: [String: String] = testKey) throws -> Processor {
        let file = repositoryPath("Topologies/\(name).yaml")
        let topology = try Topology.load(yaml: try String(contentsOfFile: file, encoding: .utf8), file: file)
        return try topology.makeProcessor(
            file: file,
            environment: EngineEnvironment(
                baseDirectory: repositoryPath("Topologies"), variables: variables,
                readFile: { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }))
    }

    func sample(_ name: String, lines: Int? = nil) throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: repositoryPath("Topologies/samples/\(name).jsonl")))
        guard let lines else { return Array(data) }
        return Array(Replay.lines(of: Array(data)).prefix(lines).joined(separator: [0x0A]))
    }

    @Test(arguments: ["chats", "finance", "clicks"])
    func samplesFlowThroughEveryStage(_ name: String) throws {
        let result = Replay.run(processor: try processor(name), input: try sample(name))
        #expect(result.counters.consumed == 3003)
        #expect(result.counters.sanitized == 3000)
        #expect(result.counters.deadLettered == 3)
        let sanitized = try events(result.outputs["\(name).sanitized"])
        for event in sanitized {
            let scoring = (event["data"] as! [String: Any])["scoring"] as! [String: Any]
            let score = scoring["score"] as! Double
            #expect(score >= 0 && score <= 1)
            #expect((scoring["attributions"] as! [Any]).count == 3)
            #expect((scoring["model"] as! [String: Any])["sha256"] as? String != nil)
        }
        let messages = try events(result.outputs["\(name).aggregates"])
        let windows = messages.filter { $0["type"] as? String == "dev.steward.fairness.window.v1" }
        #expect(windows.count >= 8)
        for window in windows {
            let data = window["data"] as! [String: Any]
            #expect(data["mode"] as? String == "private")
            #expect((data["noise"] as? String)?.hasPrefix("blt ") == true)
            #expect(data["counters"] == nil)
        }
        // One private group-by aggregate per shipped topology, a message per window.
        let aggregates = messages.filter { $0["type"] as? String == "dev.steward.aggregate.window.v1" }
        #expect(aggregates.count >= 8)
        #expect(messages.count == windows.count + aggregates.count)
        for aggregate in aggregates {
            let data = aggregate["data"] as! [String: Any]
            let privacy = data["privacy"] as! [String: Any]
            #expect(privacy["unit"] as? String == "user")
            for key in ["rho", "epsilon", "delta"] { #expect(privacy[key] is Double) }
            for group in data["groups"] as! [[String: Any]] {
                #expect(group["value"] is Double && group["stderr"] is Double)
            }
        }
    }

    @Test func everyAggregateStatesItsPrivacyAsFieldsInShortestForm() throws {
        let result = Replay.run(processor: try processor("chats"), input: try sample("chats"))
        let windows = result.outputs["chats.aggregates"]!.filter {
            String(decoding: $0.value, as: UTF8.self).contains("\"type\":\"dev.steward.fairness.window.v1\"")
        }
        #expect(windows.count >= 8)
        for window in windows {
            let text = String(decoding: window.value, as: UTF8.self)
            // chats: rho 0.19 per series, 6 series families per person: 1.14 per person per epoch,
            // not 1.1400000000000001.
            #expect(text.contains("\"noise\":\"blt rho=1.14 epsilon="))
            let epsilon = Accountant.epsilon(rho: 1.14, delta: 1e-6)
            #expect(
                text.contains(
                    "\"privacy\":{\"mechanism\":\"blt\",\"rho\":1.14,\"epsilon\":\(epsilon),\"delta\":1.1e-06,"
                        + "\"unit\":\"user\",\"rho_spent\":1.14,\"conversion_delta\":1e-06,\"selection_delta\":1e-07,"
                        + "\"user_field\":\"customer_id\","
                        + "\"max_contributions_per_window\":2,\"max_windows_per_user\":1,\"epoch_windows\":1024,"
                        + "\"series_rho\":0.19}"), "\(text.prefix(600))")
        }
    }

    @Test func chatsLeaveNoPersonalDataInTheSanitizedTopic() throws {
        let result = Replay.run(processor: try processor("chats"), input: try sample("chats"))
        let text = result.outputs["chats.sanitized"]!.map { String(decoding: $0.value, as: UTF8.self) }.joined()
        #expect(!text.contains("@example.com"))
        #expect(!text.contains("4111 1111 1111 1111"))
        #expect(!text.contains("+44 20 7946"))
        #expect(text.contains("<EMAIL_ADDRESS>"))
    }

    @Test func replaysAreByteIdenticalAndTheNoiseKeyMatters() throws {
        let input = try sample("finance", lines: 1500)
        let first = Replay.run(processor: try processor("finance"), input: input)
        let second = Replay.run(processor: try processor("finance"), input: input)
        #expect(first.outputs == second.outputs)
        let otherKey = ["STEWARD_NOISE_KEY": String(repeating: "a5", count: 32)]
        let third = Replay.run(processor: try processor("finance", variables: otherKey), input: input)
        #expect(third.outputs["finance.sanitized"] == first.outputs["finance.sanitized"])
        #expect(third.outputs["finance.aggregates"] != first.outputs["finance.aggregates"])
    }

    @Test func privateModeNeedsTheNoiseKey() {
        #expect(throws: (any Error).self) { try processor("chats", variables: [:]) }
    }
}
