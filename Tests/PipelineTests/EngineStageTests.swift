import Foundation
import Runtime
import Scoring
import Testing

@testable import EngineStages
@testable import Pipeline

func buildProcessor(_ yaml: String, variables: [String: String] = [:]) throws -> Processor {
    let topology = try Topology.load(yaml: yaml, file: "t.yaml")
    return try topology.makeProcessor(
        file: "t.yaml",
        environment: EngineEnvironment(baseDirectory: ".", variables: variables, readFile: { _ in [] }))
}

func events(_ messages: [OutputMessage]?) throws -> [[String: Any]] {
    try (messages ?? []).map { try JSONSerialization.jsonObject(with: Data($0.value)) as! [String: Any] }
}

@Suite struct RedactionInThePipeline {
    let yaml = """
        name: chats
        input:
          topic: in
          required: [id]
        redaction:
          scan: ["$.text"]
          fields:
            - {path: "$.customer.email", operator: drop}
        """

    @Test func redactsScannedTextAndFieldRulesAndLeavesTheRest() throws {
        let processor = try buildProcessor(yaml)
        let line = #"{"id":"c1","text":"Mail me at jane.doe@example.com or call +1 415 555 0132","customer":{"email":"x@y.org","tier":"gold"},"n":1.50}"#
        let result = Replay.run(processor: processor, input: Array(line.utf8))
        let data = try events(result.outputs["chats.sanitized"])[0]["data"] as! [String: Any]
        let text = data["text"] as! String
        #expect(!text.contains("jane.doe@example.com") && !text.contains("555 0132"))
        #expect(text.contains("<EMAIL_ADDRESS>") && text.contains("<PHONE_NUMBER>"))
        #expect((data["customer"] as! [String: Any])["email"] == nil)
        #expect((data["customer"] as! [String: Any])["tier"] as? String == "gold")
        #expect(data["id"] as? String == "c1")
        // The record's other bytes are untouched (number lexeme kept).
        let raw = String(decoding: result.outputs["chats.sanitized"]![0].value, as: UTF8.self)
        #expect(raw.contains(#""n":1.50"#))
    }

    @Test func keyedOperatorsWithoutAKeyAreAClearError() {
        let keyed = yaml + "\n  operators: {EMAIL_ADDRESS: pseudonym}"
        #expect(throws: (any Error).self) { try buildProcessor(keyed) }
    }
}

@Suite struct FairnessInThePipeline {
    let yaml = """
        name: loans
        input:
          topic: in
          event_time: {field: ts}
        fairness:
          mode: raw
          sensitive: [group]
          prediction: approved
          label: repaid
          window: {type: tumbling, size: 1m}
          watermark: {max_out_of_orderness: 0s}
          min_group_size: 1
        """

    @Test func closedWindowsPublishFairlearnMetricsOnTheAggregatesTopic() throws {
        let processor = try buildProcessor(yaml)
        var lines: [String] = []
        // Window [0, 60 s): group a approves 3 of 4, group b 1 of 4.
        let rows: [(String, Int, Int)] = [("a", 1, 1), ("a", 1, 0), ("a", 1, 1), ("a", 0, 0), ("b", 1, 1), ("b", 0, 1), ("b", 0, 0), ("b", 0, 1)]
        for (index, row) in rows.enumerated() {
            lines.append(#"{"group":"\#(row.0)","approved":\#(row.1),"repaid":\#(row.2),"ts":\#(1000 * index)}"#)
        }
        lines.append(#"{"group":"a","approved":1,"repaid":1,"ts":61000}"#)  // closes the first window
        let result = Replay.run(processor: processor, input: Array(lines.joined(separator: "\n").utf8))
        let aggregates = try events(result.outputs["loans.aggregates"])
        #expect(aggregates.count == 1)
        let window = aggregates[0]["data"] as! [String: Any]
        #expect(window["mode"] as? String == "raw")
        let group = (window["attributes"] as! [String: Any])["group"] as! [String: Any]
        // Selection rates a 3/4, b 1/4; true positive rates a 2/2, b 1/3; false positive rates a 1/2, b 0/1.
        func metric(_ name: String) -> (value: Double?, min: String?, max: String?) {
            let entry = group[name] as? [String: Any]
            let value = (entry?["metric"] as? [String: Any])?["value"] as? Double
            return (value, entry?["min_group"] as? String, entry?["max_group"] as? String)
        }
        func close(_ value: Double?, _ expected: Double) -> Bool { value.map { abs($0 - expected) < 1e-12 } ?? false }
        let difference = metric("demographic_parity_difference")
        #expect(close(difference.value, 0.5) && difference.min == "b" && difference.max == "a")
        #expect(close(metric("demographic_parity_ratio").value, 1.0 / 3.0))
        #expect(close(metric("equalized_odds_difference").value, 2.0 / 3.0))
        #expect((group["equalized_odds_difference"] as? [String: Any])?["component"] as? String == "true_positive_rate")
        let byGroup = group["by_group"] as? [String: Any]
        let rateA = ((byGroup?["a"] as? [String: Any])?["selection_rate"] as? [String: Any])?["value"] as? Double
        let rateB = ((byGroup?["b"] as? [String: Any])?["selection_rate"] as? [String: Any])?["value"] as? Double
        #expect(close(rateA, 0.75) && close(rateB, 0.25))
        // Replaying twice gives the same bytes.
        let again = Replay.run(processor: processor, input: Array(lines.joined(separator: "\n").utf8))
        #expect(again.outputs == result.outputs)
        #expect(result.counters.sanitized == 9)
    }

    /// One event adds 1 to each of its series in every overlapping window it falls in (W steps of the
    /// same counter), which costs up to W² per-series budgets: `series_per_event` must cover 6 × W².
    @Test(arguments: [(Int64(12), false), (Int64(23), false), (Int64(24), true)])
    func overlappingWindowsChargeTheSquareOfTheWindowsPerEvent(seriesPerEvent: Int64, accepted: Bool) {
        let hopping =
            yaml
            .replacingOccurrences(of: "mode: raw", with: "mode: private")
            .replacingOccurrences(of: "window: {type: tumbling, size: 1m}", with: "window: {type: hopping, size: 2m, advance: 1m}")
            + """

            privacy:
              mechanism: blt
              rho: 0.1
              horizon: 1024
              release_interval: 1m
              series_per_event: \(seriesPerEvent)
            """
        let key = String(repeating: "ab", count: 32)
        do {
            _ = try buildProcessor(hopping, variables: ["STEWARD_NOISE_KEY": key])
            #expect(accepted, "series_per_event \(seriesPerEvent) was accepted for 2 windows per event")
        } catch let errors as TopologyErrors {
            #expect(!accepted, "rejected: \(errors)")
            #expect(errors.issues.first?.message.contains("set it to 24") == true)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func privateModeWithoutAPrivacySectionIsRejectedAtTheSection() {
        let privateYAML = yaml.replacingOccurrences(of: "mode: raw", with: "mode: private")
        do {
            _ = try buildProcessor(privateYAML)
            Issue.record("expected an error")
        } catch let errors as TopologyErrors {
            #expect(errors.issues.first?.line == 6)
            #expect(errors.issues.first?.message.contains("privacy") == true)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

@Suite struct ScoringRecordFields {
    /// The text featurizer reads string fields through `withUTF8(ofField:_:)`: it must agree with
    /// `fieldValue` on every kind of JSON value (strings lent in place, arrays and objects as their
    /// JSON text, numbers and bools not strings, null and absent missing).
    @Test func lentStringFieldsAgreeWithFieldValue() throws {
        let line = #"{"s":"Grüße, café 12","e":"","long":"a string longer than fifteen bytes","n":1.5,"b":true,"z":null,"a":[1,"x"],"o":{"k":2}}"#
        let record = JSONFeatureRecord(value: try JSONParser.parse(Array(line.utf8)))
        for field in ["s", "e", "long", "n", "b", "z", "a", "o", "absent"] {
            var lent: [UInt8]?
            let read = record.withUTF8(ofField: field) { lent = Array($0) }
            switch record.fieldValue(field) {
            case .string(let text):
                #expect(read == .read, "\(field)")
                #expect(lent == Array(text.utf8), "\(field)")
            case nil:
                #expect(read == .missing && lent == nil, "\(field)")
            case .some:
                #expect(read == .notAString && lent == nil, "\(field)")
            }
        }
    }
}
