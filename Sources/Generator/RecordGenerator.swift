import JSON
import Pipeline
import Timestamps

/// Records for one scenario, one at a time, deterministic per seed.
///
/// Each record's decision by the shipped model is chosen first: positive with the base rate, plus
/// the drift's shift for the drifted group from the drift's start on. Candidates are then drawn
/// (leaning towards that decision) and run through the topology's own record stages (redaction,
/// then scoring, as `steward run` does) until the model decides as chosen, so a drift shows in the
/// model's decisions and not only in the labels.
public struct RecordGenerator: Sendable {
    public struct Options: Sendable {
        public var scenario: Scenario
        public var seed: UInt64
        public var drift: Drift?
        /// Event time of the first record (epoch milliseconds).
        public var start: Int64
        /// Event time between consecutive records (milliseconds).
        public var interval: Int64
        /// The share of records every group gets a positive decision for, drift aside.
        public var baseRate: Double
        /// One record in this many is malformed (broken JSON, a missing required field, a wrong
        /// type), so the dead-letter topic has something to show; 0 for none.
        public var malformedEvery: Int
        /// People the records are drawn from, uniformly (each record names one in the scenario's
        /// user field); the shipped topologies bound what one person adds to the counts.
        public var users: Int

        /// 2026-11-29T08:00:00Z, the day after the shipped topologies' privacy origin.
        public static let defaultStart: Int64 = 1_795_939_200_000

        public init(
            scenario: Scenario, seed: UInt64 = 0, drift: Drift? = nil, start: Int64 = defaultStart,
            interval: Int64 = 2000, baseRate: Double = 0.3, malformedEvery: Int = 0, users: Int = 100_000
        ) {
            precondition(users >= 1)
            self.users = users
            self.scenario = scenario
            self.seed = seed
            self.drift = drift
            self.start = start
            self.interval = interval
            self.baseRate = baseRate
            self.malformedEvery = malformedEvery
        }
    }

    /// Candidates tried per record before giving up on the chosen decision.
    static let maximumAttempts = 10_000

    public let options: Options
    var stages: [any RecordStage]
    var random: SeededRandom
    /// Records generated so far; the next record's index.
    public private(set) var count = 0

    /// `stages` are the scenario's topology's record stages (`Processor.stages`).
    public init(options: Options, stages: [any RecordStage]) {
        self.options = options
        self.stages = stages
        self.random = SeededRandom(seed: options.seed)
    }

    /// The next record as one JSON line (no newline).
    public mutating func next() throws(GeneratorError) -> [UInt8] {
        defer { count += 1 }
        let scenario = options.scenario
        let id = scenario.idPrefix + String(random.integer(in: 0...999_999_999))
        let time = Timestamp.formatRFC3339(milliseconds: options.start + Int64(count) * options.interval)
        if options.malformedEvery > 0, count % options.malformedEvery == options.malformedEvery - 1 {
            return malformed(id: id, time: time)
        }
        var group: [String: String] = [:]
        for attribute in scenario.attributes { group[attribute.name] = random.pick(attribute.values) }
        let positive = random.chance(rate(for: group))
        let person = scenario.userField.prefix + String(random.integer(in: 0...(options.users - 1)))
        for _ in 0..<Self.maximumAttempts {
            var members = scenario.content(group: group, leaning: positive, random: &random)
            members.append(("id", .string(id)))
            members.append(("ts", .string(time)))
            members.append((scenario.userField.name, .string(person)))
            let record = JSONValue.object(reordered(members))
            if decision(for: record) == positive { return JSONWriter.encode(record) }
        }
        let described = group.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        throw GeneratorError(
            "the \(scenario.rawValue) model decided no candidate \(positive ? "positive" : "negative") for \(described) "
                + "in \(Self.maximumAttempts) attempts")
    }

    /// The chance of a positive decision for a record of `group` at the current index.
    func rate(for group: [String: String]) -> Double {
        guard let drift = options.drift, count >= drift.start, group[drift.attribute] == drift.group else {
            return options.baseRate
        }
        return min(1, max(0, options.baseRate + drift.shift))
    }

    /// The shipped model's decision (`scoring.positive`) after the topology's record stages; nil
    /// when a stage rejects the record.
    mutating func decision(for record: JSONValue) -> Bool? {
        var value = record
        let context = RecordContext(position: "generator", eventTime: nil)
        for index in stages.indices {
            do throws(Rejection) {
                try stages[index].process(&value, context: context)
            } catch {
                return nil
            }
        }
        guard case .bool(let positive)? = value["scoring"]?["positive"] else { return nil }
        return positive
    }

    /// The samples' member order: content, then id and ts, with the attribute of chats and finance last.
    func reordered(_ members: [(key: String, value: JSONValue)]) -> [(key: String, value: JSONValue)] {
        guard options.scenario != .clicks else { return members }
        let attribute = options.scenario.attributes[0].name
        let user = options.scenario.userField.name
        return members.filter { $0.key != attribute && $0.key != user } + members.filter { $0.key == attribute }
            + members.filter { $0.key == user }
    }

    /// A line the topology dead-letters, in turn: not JSON, a required field missing, a wrong type.
    func malformed(id: String, time: String) -> [UInt8] {
        let required = options.scenario == .clicks ? "country" : (options.scenario == .chats ? "message" : "text")
        let line: String
        switch (count / max(options.malformedEvery, 1)) % 3 {
        case 0: line = "{\"id\": \"\(id)\", \"ts\": \"\(time)\", \"broken"
        case 1: line = "{\"id\": \"\(id)\", \"ts\": \"\(time)\"}"
        default:
            line =
                "{\"id\": \"\(id)\", \"ts\": \"\(time)\", \"\(required)\": 42\(options.scenario == .clicks ? ", \"device\": \"mobile\"" : "")}"
        }
        return Array(line.utf8)
    }
}
