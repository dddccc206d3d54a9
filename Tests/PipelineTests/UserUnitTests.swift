import Fairness
import Foundation
import Runtime
import Testing

@testable import EngineStages
@testable import Pipeline

/// The fairness stage with `privacy.unit: user`: per-user bounding before counting.
@Suite struct UserUnitInTheFairnessStage {
    static let key = ["STEWARD_NOISE_KEY": String(repeating: "ab", count: 32)]

    func yaml(window: String = "{type: tumbling, size: 1m}", k: Int = 3, m: Int = 4, seriesPerEvent: Int = 6) -> String {
        """
        name: chats
        input:
          topic: in
          event_time: {field: ts}
        fairness:
          mode: private
          sensitive: [group]
          prediction: approved
          window: \(window)
          watermark: {max_out_of_orderness: 0s}
          min_group_size: 1
        privacy:
          mechanism: blt
          rho: 0.5
          horizon: 1024
          release_interval: 1m
          unit: user
          user_field: customer.id
          max_contributions_per_window: \(k)
          max_windows_per_user: \(m)
          series_per_event: \(seriesPerEvent)
        """
    }

    /// Runs `lines` through the processor; returns the outputs by topic and the processor after them.
    func run(_ processor: Processor, _ lines: [String]) -> ([String: [OutputMessage]], Processor) {
        var processor = processor
        var outputs: [String: [OutputMessage]] = [:]
        for (offset, text) in lines.enumerated() {
            let message = InputMessage(topic: "in", partition: 0, offset: Int64(offset), value: Array(text.utf8))
            for output in processor.process(message) { outputs[output.topic, default: []].append(output) }
        }
        return (outputs, processor)
    }

    func line(user: String?, group: String, ts: Int) -> String {
        let customer = user.map { #","customer":{"id":"\#($0)"}"# } ?? ""
        return #"{"group":"\#(group)","approved":1,"ts":\#(ts)\#(customer)}"#
    }

    /// A customer writing 40 messages in one window: all 40 are published, K reach the counts, the
    /// other 37 are counted (for the operator's metric), and the window states the unit and caps.
    @Test func aHeavyUserIsCappedButStillPublished() throws {
        let processor = try buildProcessor(yaml(), variables: Self.key)
        var lines = (0..<40).map { line(user: "heavy", group: "a", ts: 100 * $0) }
        lines += (0..<5).map { line(user: "light\($0)", group: "b", ts: 5000 + $0) }
        lines.append(line(user: "late", group: "a", ts: 61_000))  // closes window 0
        let (outputs, after) = run(processor, lines)
        #expect(outputs["chats.sanitized"]?.count == 46)
        let windows = try events(outputs["chats.aggregates"])
        #expect(windows.count == 1)
        let data = windows[0]["data"] as! [String: Any]
        let counters = try #require((after.streamStages.first as? FairnessStage)?.monitor.counters)
        #expect(counters.overContributionCap == 37)
        #expect(counters.accepted == 9)
        let privacy = data["privacy"] as! [String: Any]
        #expect(privacy["unit"] as? String == "user")
        #expect(privacy["max_contributions_per_window"] as? Double == 3)
        #expect(privacy["max_windows_per_user"] as? Double == 4)
        #expect((data["noise"] as? String)?.hasSuffix("per user") == true)
    }

    @Test func aRecordWithoutAUserIdIsADeadLetter() throws {
        let processor = try buildProcessor(yaml(), variables: Self.key)
        let lines = [line(user: nil, group: "a", ts: 0), line(user: "x", group: "a", ts: 1)]
        let result = Replay.run(processor: processor, input: Array(lines.joined(separator: "\n").utf8))
        let dead = try events(result.outputs["chats.dlq"])
        #expect(dead.count == 1)
        let reason = (dead.first?["data"] as? [String: Any])?["reason"] as? String
        #expect(reason == "missing_field")
    }

    /// Overlapping windows: a record charges each window it falls in, so M below W is rejected, and
    /// `series_per_event` must cover 6 × attributes (no W² with the user caps).
    @Test(arguments: [(1, 6, "at least 2"), (2, 5, "set it to 6"), (2, 6, nil)])
    func overlappingWindowsNeedMAtLeastW(m: Int, seriesPerEvent: Int, error: String?) {
        let text = yaml(window: "{type: hopping, size: 2m, advance: 1m}", m: m, seriesPerEvent: seriesPerEvent)
        do {
            _ = try buildProcessor(text, variables: Self.key)
            #expect(error == nil)
        } catch let errors as TopologyErrors {
            #expect(error.map { errors.description.contains($0) } == true, "\(errors)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func hoppingWindowsCapEachWindowAtK() throws {
        let processor = try buildProcessor(
            yaml(window: "{type: hopping, size: 2m, advance: 1m}", k: 2, m: 4), variables: Self.key)
        // 10 records of one user at 150 s: windows 1 and 2 (2 of them admitted), then 10 at 210 s:
        // windows 2 and 3, but window 2 is full, so none. (Events before 60 s precede the privacy
        // origin's first window and are dead letters.)
        var lines = (0..<10).map { line(user: "u", group: "a", ts: 150_000 + $0) }
        lines += (0..<10).map { line(user: "u", group: "a", ts: 210_000 + $0) }
        lines.append(line(user: "other", group: "a", ts: 520_000))
        let (outputs, after) = run(processor, lines)
        let counters = try #require((after.streamStages.first as? FairnessStage)?.monitor.counters)
        #expect(counters.overContributionCap == 18)
        #expect(counters.accepted == 3)
        // Exact counters are the operator's (metrics), never published beside private counts.
        let windows = try events(outputs["chats.aggregates"])
        #expect(!windows.isEmpty && windows.allSatisfy { ($0["data"] as? [String: Any])?["counters"] == nil })
    }
}
