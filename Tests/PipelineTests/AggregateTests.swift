import Foundation
import Privacy
import Testing

@testable import EngineStages
@testable import Pipeline

/// The `aggregates:` section: private group-by counts, sums and means over tumbling windows, with
/// per-person bounding and partition selection.
@Suite struct PrivateAggregates {
    static let key = ["STEWARD_NOISE_KEY": String(repeating: "cd", count: 32)]

    func yaml(_ aggregate: String, k: Int = 2, m: Int = 4) -> String {
        """
        name: shop
        input:
          topic: in
          event_time: {field: ts}
        privacy:
          mechanism: blt
          rho: 0.5
          horizon: 1024
          release_interval: 1m
          unit: user
          user_field: user
          max_contributions_per_window: \(k)
          max_windows_per_user: \(m)
        aggregates:
          - name: spend
            group_by: [shop]
            watermark: {max_out_of_orderness: 0s}
            rho: 0.5
        \(aggregate.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        """
    }

    func line(user: String, shop: String, ts: Int, price: Double = 10, label: String = "ok") -> String {
        #"{"user":"\#(user)","shop":"\#(shop)","price":\#(price),"label":"\#(label)","ts":\#(ts)}"#
    }

    /// The aggregate messages of a run, by window index.
    func run(_ yaml: String, _ lines: [String]) throws -> [Int: [String: Any]] {
        var processor = try buildProcessor(yaml, variables: Self.key)
        var outputs: [OutputMessage] = []
        for (offset, text) in lines.enumerated() {
            outputs += processor.process(
                InputMessage(topic: "in", partition: 0, offset: Int64(offset), value: Array(text.utf8)))
        }
        var windows: [Int: [String: Any]] = [:]
        for event in try events(outputs.filter { $0.topic == "shop.aggregates" }) {
            #expect(event["type"] as? String == "dev.steward.aggregate.window.v1")
            let data = event["data"] as! [String: Any]
            windows[data["index"] as! Int] = data
        }
        return windows
    }

    func groups(_ window: [String: Any]?) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for group in (window?["groups"] as? [[String: Any]]) ?? [] {
            result[(group["group"] as! [String: Any])["shop"] as! String] = group
        }
        return result
    }

    @Test func filtersParseAndMatch() throws {
        let record = try JSONParser.parse(Array(#"{"scoring":{"label":"negative","score":0.7},"n":3,"ok":true}"#.utf8))
        #expect(try RecordFilter(#"scoring.label == "negative""#).matches(record))
        #expect(try !RecordFilter(#"scoring.label != 'negative'"#).matches(record))
        #expect(try RecordFilter("scoring.score >= 0.7").matches(record))
        #expect(try !RecordFilter("scoring.score < 0.7").matches(record))
        #expect(try RecordFilter("n <= 3").matches(record))
        #expect(try RecordFilter("n == 3").matches(record))
        #expect(try RecordFilter("ok == true").matches(record))
        #expect(try RecordFilter("missing == null").matches(record))
        #expect(try !RecordFilter(#"missing == "x""#).matches(record))
        #expect(try RecordFilter(#"missing != "x""#).matches(record))
        #expect(try RecordFilter(#"scoring.label == "negative""#).description == #"scoring.label == "negative""#)
        #expect(throws: RecordFilter.SyntaxError.self) { try RecordFilter("scoring.label negative") }
        #expect(throws: RecordFilter.SyntaxError.self) { try RecordFilter(#"label < "b""#) }
        #expect(throws: RecordFilter.SyntaxError.self) { try RecordFilter("label == negative") }
        #expect(throws: RecordFilter.SyntaxError.self) { try RecordFilter(" == 3") }
    }

    @Test(arguments: [
        ("count: true\nsum: {field: price, clamp: [0, 100]}", "exactly one of count"),
        ("sum: {field: price, clamp: [100, 0]}", "low < high"),
        ("count: true\nwindow: {type: tumbling, size: 5m}", "release_interval"),
        ("count: true\nwindow: {type: hopping, size: 1m, advance: 30s}", "tumbling"),
        ("count: true\npublic_groups: [[a, b]]", "has 2 values but group_by has 1"),
        ("count: true\nfilter: label = x", "not PATH OP VALUE"),
    ])
    func badAggregatesAreRejectedWithTheirReason(_ aggregate: String, _ message: String) {
        do {
            _ = try buildProcessor(yaml(aggregate), variables: Self.key)
            Issue.record("accepted: \(aggregate)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
            #expect("\(error)".contains("t.yaml:"), "\(error)")
        }
    }

    /// A record's value is clamped before it is summed: a price of 10⁹ moves the sum by the clamp's
    /// bound, no more, and the noise is the same in both runs (a pure function of key, series, step).
    @Test func sumsClampEachRecord() throws {
        let topology = yaml("sum: {field: price, clamp: [0, 100]}\npublic_groups: [a]")
        var lines = (0..<30).map { line(user: "u\($0)", shop: "a", ts: 60_000 + $0 * 100) }
        lines.append(line(user: "late", shop: "a", ts: 200_000))
        let before = try run(topology, lines)
        lines.insert(line(user: "whale", shop: "a", ts: 65_000, price: 1e9), at: 10)
        let after = try run(topology, lines)
        let (b, a) = (groups(before[1])["a"]!, groups(after[1])["a"]!)
        #expect(abs(a["value"] as! Double - (b["value"] as! Double) - 100) < 1e-9)
        #expect(a["stderr"] as! Double == b["stderr"] as! Double)
        let count = (a["count"] as! [String: Any])["value"] as! Double
        #expect(count - ((b["count"] as! [String: Any])["value"] as! Double) == 1)
        #expect(before[1]?["statistic"] as? String == "sum")
    }

    @Test func meansStayInsideTheClamp() throws {
        let topology = yaml("mean: {field: price, clamp: [0, 50]}\npublic_groups: [a]")
        var lines = (0..<200).map { line(user: "u\($0)", shop: "a", ts: 60_000 + $0 * 100, price: 1e6) }
        lines.append(line(user: "late", shop: "a", ts: 200_000))
        let group = groups(try run(topology, lines)[1])["a"]!
        let mean = group["value"] as! Double
        #expect(mean >= 0 && mean <= 50 && abs(mean - 50) < 5, "\(group)")
    }

    /// One person's records in a group of their own never appear; a group many people share does;
    /// a public group appears in every window, even empty.
    @Test func partitionSelectionHidesAGroupOfOnePerson() throws {
        let topology = yaml("count: true\npublic_groups: [open]")
        var lines = (0..<300).map { line(user: "solo", shop: "alone", ts: 60_000 + $0) }
        lines += (0..<400).map { line(user: "p\($0)", shop: "crowd", ts: 61_000 + $0) }
        lines.append(line(user: "late", shop: "x", ts: 300_000))
        let windows = try run(topology, lines)
        let first = groups(windows[1])
        #expect(first["alone"] == nil)
        #expect(first["crowd"] != nil)
        #expect((first["open"]?["public"] as? Bool) == true)
        let selection = windows[1]!["selection"] as! [String: Any]
        let minimum = selection["min_users_p99"] as! Double
        #expect(minimum > 2 && minimum < 400, "\(selection)")
        // Windows 2 and 3 hold no records: only the public group, with noise.
        #expect(windows[2] != nil && windows[3] != nil)
        #expect(Set(groups(windows[2]).keys) == ["open"])
        let privacy = windows[1]!["privacy"] as! [String: Any]
        #expect(privacy["delta"] as? Double == 1e-6 + 1e-7)
        #expect(privacy["selection_delta"] as? Double == 1e-7)
    }

    @Test func selectionThresholdBoundsOnePersonsChance() {
        let selection = PartitionSelection(delta: 1e-7, maxContribution: 2, maxPartitions: 8)
        let variance = 36.0
        let threshold = selection.threshold(noiseVariance: variance)
        // One person's pair (count ≤ K) passes with probability ≤ exp(−(τ−K)²/2σ²) = δ / L₀.
        let tail = exp(-pow(threshold - 2, 2) / (2 * variance))
        #expect(abs(tail * 8 - 1e-7) < 1e-12)
        let users = Double(selection.minimumUsers(noiseVariance: variance, probability: 0.99))
        #expect(users >= threshold + 6 * (2 * log(100.0)).squareRoot() - 1e-9)
        #expect(!selection.selects(count: threshold, noiseVariance: variance))
        #expect(selection.selects(count: threshold + 0.001, noiseVariance: variance))
        #expect(!selection.selects(count: .nan, noiseVariance: variance))
    }

    /// Records the filter leaves out are not counted and not dead-lettered; records without the
    /// group field or the user are dead-lettered with their reason; late ones too.
    @Test func filteredMissingAndLateRecords() throws {
        var processor = try buildProcessor(yaml("count: true\nfilter: label == \"ok\""), variables: Self.key)
        let lines = [
            line(user: "a", shop: "s", ts: 60_000, label: "skip"),
            #"{"user":"a","label":"ok","ts":60001}"#,
            #"{"shop":"s","label":"ok","ts":60002}"#,
            line(user: "b", shop: "s", ts: 200_000),
            line(user: "c", shop: "s", ts: 60_003),
        ]
        var dead: [String] = []
        for (offset, text) in lines.enumerated() {
            for output in processor.process(
                InputMessage(topic: "in", partition: 0, offset: Int64(offset), value: Array(text.utf8)))
            where output.topic == "shop.dlq" {
                dead.append(String(decoding: output.value, as: UTF8.self))
            }
        }
        #expect(dead.count == 3, "\(dead)")
        #expect(dead[0].contains("missing_field") && dead[0].contains("no 'shop' (group_by)"))
        #expect(dead[1].contains("missing_field") && dead[1].contains("no user id"))
        #expect(dead[2].contains("late_event") && dead[2].contains("aggregate 'spend'"))
    }

    /// A person with 50 records in a window adds K to their group's count: two runs that differ by
    /// that person differ by exactly K there (the noise is the same), and by nothing elsewhere.
    @Test func aHeavyPersonAddsAtMostKToACount() throws {
        let topology = yaml("count: true\npublic_groups: [a, b]", k: 2)
        var lines = (0..<20).map { line(user: "u\($0)", shop: $0 % 2 == 0 ? "a" : "b", ts: 60_000 + $0 * 100) }
        lines.append(line(user: "late", shop: "a", ts: 200_000))
        let before = try run(topology, lines)
        lines.insert(contentsOf: (0..<50).map { line(user: "heavy", shop: "a", ts: 65_000 + $0) }, at: 5)
        let after = try run(topology, lines)
        for shop in ["a", "b"] {
            let difference =
                (groups(after[1])[shop]!["value"] as! Double) - (groups(before[1])[shop]!["value"] as! Double)
            #expect(abs(difference - (shop == "a" ? 2 : 0)) < 1e-9, "\(shop): \(difference)")
        }
    }

    /// In the fairness stage too, a group outside `public_groups` that one person makes up is not
    /// published; the public group is.
    @Test func aFairnessGroupOfOnePersonIsNotPublished() throws {
        let topology = """
            name: shop
            input:
              topic: in
              event_time: {field: ts}
            fairness:
              mode: private
              sensitive: [shop]
              prediction: label
              positive: ok
              window: {type: tumbling, size: 1m}
              watermark: {max_out_of_orderness: 0s}
              min_group_size: 1
              public_groups: {shop: [a]}
            privacy:
              mechanism: blt
              rho: 0.5
              horizon: 1024
              release_interval: 1m
              unit: user
              user_field: user
              max_contributions_per_window: 2
              max_windows_per_user: 4
              series_per_event: 6
            """
        var processor = try buildProcessor(topology, variables: Self.key)
        var lines = (0..<30).map { line(user: "solo", shop: "zz", ts: 60_000 + $0) }
        lines += (0..<400).map { line(user: "p\($0)", shop: "crowd", ts: 61_000 + $0) }
        lines += (0..<5).map { line(user: "q\($0)", shop: "a", ts: 62_000 + $0) }
        lines.append(line(user: "late", shop: "a", ts: 200_000))
        var outputs: [OutputMessage] = []
        for (offset, text) in lines.enumerated() {
            outputs += processor.process(
                InputMessage(topic: "in", partition: 0, offset: Int64(offset), value: Array(text.utf8)))
        }
        let window = try #require(try events(outputs.filter { $0.topic == "shop.aggregates" }).first)
        let data = window["data"] as! [String: Any]
        let byGroup = ((data["attributes"] as! [String: Any])["shop"] as! [String: Any])["by_group"] as! [String: Any]
        #expect(byGroup["zz"] == nil)
        #expect(byGroup["a"] != nil && byGroup["crowd"] != nil, "\(byGroup.keys)")
        #expect((data["privacy"] as! [String: Any])["selection_delta"] as? Double == 1e-7)
    }

    /// The declared per-person budget is checked against the parts: a mean costs two families.
    @Test func theDeclaredBudgetPerPersonIsChecked() throws {
        let limited = { (aggregate: String) in
            self.yaml(aggregate).replacingOccurrences(
                of: "  max_windows_per_user: 4\n", with: "  max_windows_per_user: 4\n  max_rho_per_person: 0.9\n")
        }
        _ = try buildProcessor(limited("count: true"), variables: Self.key)
        do {
            _ = try buildProcessor(limited("mean: {field: price, clamp: [0, 50]}"), variables: Self.key)
            Issue.record("a mean at rho 0.5 (1.0 per person) passed a limit of 0.9")
        } catch {
            #expect("\(error)".contains("spend 1.0 = 1.0, over privacy.max_rho_per_person 0.9"), "\(error)")
        }
    }

    /// Records out of order within the watermark's allowance count in their own window, also before
    /// the first release: a window is late only once it was released.
    @Test func outOfOrderRecordsBeforeTheFirstReleaseCount() throws {
        let topology = yaml("count: true\npublic_groups: [a]").replacingOccurrences(
            of: "max_out_of_orderness: 0s", with: "max_out_of_orderness: 30s")
        var lines = [line(user: "first", shop: "a", ts: 120_010)]
        lines += (0..<300).map { line(user: "p\($0)", shop: "a", ts: 119_000 + $0) }
        lines.append(line(user: "late", shop: "a", ts: 400_000))
        let windows = try run(topology, lines)
        // Window 1 (60–120 s) holds the 300 records that came after window 2's first one.
        let count = try #require(groups(windows[1])["a"]?["value"] as? Double, "window 1 was not released")
        #expect(count > 200, "\(count)")
    }

    /// With a mechanism that has no exact window variance (tree), the threshold uses the bound, in
    /// windows with records and in empty ones alike.
    @Test func theTreeMechanismStatesABoundedThreshold() throws {
        let topology = yaml("count: true").replacingOccurrences(of: "mechanism: blt", with: "mechanism: tree")
        var lines = (0..<5).map { line(user: "u\($0)", shop: "a", ts: 60_000 + $0) }
        lines.append(line(user: "late", shop: "a", ts: 300_000))
        let windows = try run(topology, lines)
        for index in [1, 2, 3] {
            let selection = try #require(windows[index]?["selection"] as? [String: Any], "window \(index)")
            let threshold = try #require(selection["threshold"] as? Double, "window \(index): \(selection)")
            #expect(threshold > 2 && threshold.isFinite)
        }
    }
}
