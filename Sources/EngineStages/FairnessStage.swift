import Fairness
import Foundation
import Pipeline
import Privacy

/// The `fairness:` section as a keyed stream stage: event-time windows per sensitive group,
/// metrics, drift tests and alert transitions, published on `<name>.aggregates` and `<name>.alerts`.
///
/// Counts reach the metrics through `release`: the privacy layer's noisy counts in private mode,
/// the exact counts in raw mode (every message then says `"mode": "raw"`).
public struct FairnessStage: StreamStage {
    public let name = "fairness"
    public private(set) var monitor: FairnessMonitor
    let topologyName: String
    var release: CountRelease
    /// Per-user contribution bounding before counting, with `privacy.unit: user`.
    public internal(set) var userBounding: UserBounding?
    /// The record fields the configuration names, split once.
    let fields: Fields

    struct Fields: Sendable {
        let prediction: FieldPath
        /// Every sensitive column once, in first-named order.
        let columns: [(name: String, path: FieldPath)]
        let label: FieldPath?
        let score: FieldPath?
        let recordId: FieldPath?

        init(_ config: FairnessConfig) {
            prediction = FieldPath(config.prediction)
            var seen: Set<String> = []
            columns = config.sensitive.flatMap(\.columns).filter { seen.insert($0).inserted }.map { ($0, FieldPath($0)) }
            label = config.label.map(FieldPath.init)
            score = config.score.map(FieldPath.init)
            recordId = config.recordId.map(FieldPath.init)
        }
    }

    /// Turns a closed window's exact counts into the counts metrics may read.
    public protocol Release: Sendable {
        /// A description for every published window (`noise` member), e.g. the mechanism.
        var note: String? { get }
        /// The first event time whose every window is released (the privacy origin plus the windows'
        /// size minus their advance); earlier events are dead-lettered. Nil: no limit.
        var firstReleasedEventTime: Int64? { get }
        /// The guarantee and the budget spent so far, published as fields (`privacy` member); nil
        /// when the counts carry no guarantee.
        var privacy: PrivacyStatement? { get }
        mutating func release(_ window: WindowResult) -> [String: [String: NoisyGroupCounts]]
        /// The release's own state (e.g. the DP counters) as JSON, for the changelog.
        func snapshot() throws -> [UInt8]
        mutating func restore(_ snapshot: [UInt8]) throws
    }

    /// Exact counts: the marked raw mode.
    public struct ExactRelease: Release {
        public init() {}
        public var note: String? { nil }
        public var firstReleasedEventTime: Int64? { nil }
        public func release(_ window: WindowResult) -> [String: [String: NoisyGroupCounts]] { window.exactCounts }
        public func snapshot() throws -> [UInt8] { Array("{}".utf8) }
        public func restore(_ snapshot: [UInt8]) throws {}
    }

    public typealias CountRelease = any Release

    public init(config: FairnessConfig, topologyName: String, release: CountRelease) {
        self.init(monitor: FairnessMonitor(config: config), topologyName: topologyName, release: release)
    }

    /// Continues from a monitor's state (e.g. one `steward fairness monitor --state` saved).
    public init(monitor: FairnessMonitor, topologyName: String, release: CountRelease) {
        self.monitor = monitor
        self.topologyName = topologyName
        self.release = release
        fields = Fields(monitor.config)
    }

    public mutating func observe(_ record: JSONValue, context: RecordContext) -> [Emission] {
        let config = monitor.config
        guard let eventTime = context.eventTime else {
            return [deadLetter(context, reason: .missingField, detail: "no event time: the fairness stage needs one")]
        }
        if let first = release.firstReleasedEventTime, eventTime < first {
            return [
                deadLetter(
                    context, reason: .beforePrivacyOrigin,
                    detail: "event time is before the privacy origin's first window (privacy.origin)")
            ]
        }
        if let value = fields.prediction.value(in: record) {
            guard let prediction = Self.outcome(value, positive: config.positive) else {
                return [deadLetter(context, reason: .wrongType, detail: "'\(config.prediction)' is not a binary outcome")]
            }
            var attributes: [String: String] = Dictionary(minimumCapacity: fields.columns.count)
            for column in fields.columns {
                attributes[column.name] = Self.text(column.path.value(in: record))
            }
            let label = fields.label?.value(in: record).flatMap { Self.outcome($0, positive: config.positive) }
            let score = fields.score?.value(in: record)?.doubleValue
            let id = fields.recordId.flatMap { Self.text($0.value(in: record)) }
            // Moved out while the closure mutates it, so the bounding state is never copied per record.
            var bounding = userBounding
            userBounding = nil
            defer { userBounding = bounding }
            let user = bounding?.user(of: record)
            if bounding != nil && user == nil {
                return [
                    deadLetter(
                        context, reason: .missingField,
                        detail: "no user id ('\(bounding!.userField)'): the privacy unit is the user")
                ]
            }
            let outcome = monitor.observe(
                attributes: attributes, prediction: prediction, label: label, score: score, recordId: id,
                eventTime: eventTime,
                admit: { windows in
                    guard let user else { return true }
                    return bounding!.admit(user, windows: windows)
                })
            if outcome == .deadLetter {
                return [deadLetter(context, reason: .lateEvent, detail: "every window of this event had closed")]
            }
        } else if let feedback = config.feedback, let id = Self.text(record[feedback.idField]),
            let label = record[feedback.labelField].flatMap({ Self.outcome($0, positive: config.positive) })
        {
            _ = monitor.observeFeedback(recordId: id, label: label, eventTime: eventTime)
        } else {
            return [
                deadLetter(
                    context, reason: .missingField,
                    detail: "neither a prediction ('\(config.prediction)') nor a feedback record")
            ]
        }
        return []
    }

    /// `{"monitor": …, "release": …}`: windows, drift detectors and alert trackers, then the
    /// release's DP counters.
    public func snapshot() throws -> [UInt8] {
        var bytes = Array("{\"monitor\":".utf8) + Array(try monitor.snapshot()) + Array(",\"release\":".utf8)
            + (try release.snapshot())
        if let userBounding {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            bytes += Array(",\"bounding\":".utf8) + Array(try encoder.encode(userBounding.bounder))
        }
        return bytes + Array("}".utf8)
    }

    public mutating func restore(_ snapshot: [UInt8]) throws {
        let document = try JSONParser.parse(snapshot)
        guard let monitorState = document["monitor"], let releaseState = document["release"] else {
            throw StateError("the fairness state lacks its monitor or release")
        }
        let restored = try FairnessMonitor(snapshot: Data(JSONWriter.encode(monitorState)))
        guard restored.config == monitor.config else {
            throw StateError(
                "the fairness state was written with another fairness: configuration; "
                    + "a changed configuration starts from empty state under a new topology name or group")
        }
        var release = self.release
        try release.restore(JSONWriter.encode(releaseState))
        var bounding = userBounding
        if bounding != nil {
            guard let state = document["bounding"] else {
                throw StateError("the fairness state lacks the per-user bounding state (privacy.unit: user)")
            }
            let bounder = try JSONDecoder().decode(WindowContributionBounder.self, from: Data(JSONWriter.encode(state)))
            guard bounder.hasSameCaps(as: bounding!.bounder) else {
                throw StateError(
                    "the bounding state was written with other privacy caps or epochs; "
                        + "a changed configuration starts from empty state under a new topology name or group")
            }
            bounding!.bounder = bounder
        }
        monitor = restored
        self.release = release
        userBounding = bounding
    }

    /// With `privacy.unit: user`, one entry per person whose bounding state changed (key
    /// `bounding/<fingerprint>`): `{"windows":[[window,records],…],"epochs":[[epoch,windows],…]}`,
    /// or nil once the person is forgotten.
    public mutating func takeChangedEntries() -> [StateEntry] {
        guard userBounding != nil else { return [] }
        return userBounding!.bounder.takeChanges().map { change in
            StateEntry(key: "bounding/\(change.user.hex)", value: change.state.map(Self.encode))
        }
    }

    public mutating func restore(entries: [String: [UInt8]]) throws {
        guard userBounding != nil else {
            if entries.isEmpty { return }
            throw StateError("the state has per-person bounding entries, but this topology's privacy unit is not user")
        }
        for (key, value) in entries {
            guard key.hasPrefix("bounding/"), let user = UserFingerprint(hex: key.dropFirst("bounding/".count)) else {
                throw StateError("unknown fairness state entry '\(key)'")
            }
            userBounding!.bounder.restore(user, try Self.decode(value))
        }
    }

    static func encode(_ state: WindowContributionBounder.UserState) -> [UInt8] {
        var writer = JSONWriter(capacity: 64)
        func pairs(_ name: String, _ values: [Int64: Int64], first: Bool) {
            writer.appendASCII(first ? "{" : ",")
            writer.writeString(name)
            writer.appendASCII(":[")
            for (index, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                writer.appendASCII(index == 0 ? "[" : ",[")
                writer.writeInteger(key)
                writer.appendASCII(",")
                writer.writeInteger(value)
                writer.appendASCII("]")
            }
            writer.appendASCII("]")
        }
        pairs("windows", state.windows, first: true)
        pairs("epochs", state.windowsUsed, first: false)
        writer.appendASCII("}")
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> WindowContributionBounder.UserState {
        let document = try JSONParser.parse(bytes)
        func pairs(_ name: String) throws -> [Int64: Int64] {
            guard case .array(let entries)? = document[name] else { throw StateError("a bounding entry lacks '\(name)'") }
            var values: [Int64: Int64] = [:]
            for entry in entries {
                guard case .array(let pair) = entry, pair.count == 2, case .number(let key) = pair[0],
                    case .number(let value) = pair[1], let k = Int64(key), let v = Int64(value)
                else { throw StateError("a bounding entry's '\(name)' is malformed") }
                values[k] = v
            }
            return values
        }
        var state = WindowContributionBounder.UserState()
        state.windows = try pairs("windows")
        state.windowsUsed = try pairs("epochs")
        return state
    }

    public mutating func advance(streamTime: Int64?) -> [Emission] {
        let closed = monitor.advance()
        if !closed.isEmpty, let firstOpen = monitor.firstOpenWindow {
            userBounding?.close(windowsBefore: firstOpen)
        }
        return emissions(for: closed)
    }

    /// Closes every open window, as at the end of a finite input.
    public mutating func flush() -> [Emission] {
        emissions(for: monitor.flush())
    }

    mutating func emissions(for windows: [WindowResult]) -> [Emission] {
        var emissions: [Emission] = []
        for window in windows {
            let counts = release.release(window)
            let evaluation = monitor.evaluate(window: window, noisyCounts: counts)
            let privacy = release.privacy
            let data = JSONWriter.encode(
                FairnessJSON.window(
                    evaluation, counters: monitor.counters, noise: release.note, privacy: privacy,
                    bounding: userBounding))
            emissions.append(
                Emission(
                    output: .aggregates, id: "\(topologyName)/fairness/window/\(window.index)",
                    type: "dev.steward.fairness.window.v1", time: window.bounds.end, subject: "window \(window.index)",
                    data: data,
                    notice: WindowNotice(evaluation: evaluation, privacy: privacy, counters: monitor.counters)))
            for alert in evaluation.alerts {
                guard let body = try? FairnessJSON.alert(alert) else { continue }
                emissions.append(
                    Emission(
                        output: .alerts, id: "\(alert.dedupKey)/\(alert.status.rawValue)/\(window.index)",
                        type: "dev.steward.fairness.alert.v1", time: window.bounds.end, subject: alert.dedupKey,
                        key: Array(alert.dedupKey.utf8), data: JSONWriter.encode(body), notice: alert))
            }
        }
        return emissions
    }

    func deadLetter(_ context: RecordContext, reason: DeadLetterReason, detail: String) -> Emission {
        Self.deadLetter(context, stage: "fairness", id: "\(context.position)/fairness", reason: reason, detail: detail)
    }

    /// A stream stage's dead letter for a record it cannot use: `{"reason","detail","position","stage"}`.
    static func deadLetter(
        _ context: RecordContext, stage: String, id: String, reason: DeadLetterReason, detail: String
    ) -> Emission {
        var writer = JSONWriter()
        writer.appendASCII("{\"reason\":")
        writer.writeString(reason.rawValue)
        writer.appendASCII(",\"detail\":")
        writer.writeString(detail)
        writer.appendASCII(",\"position\":")
        writer.writeString(context.position)
        writer.appendASCII(",\"stage\":")
        writer.writeString(stage)
        writer.appendASCII("}")
        return Emission(
            output: .deadLetter, id: id, type: CloudEvent.deadLetterType, time: context.eventTime, subject: nil,
            data: writer.bytes)
    }

    /// A field by name, or by dotted path into nested objects (`scoring.positive`).
    static func lookup(_ record: JSONValue, _ path: String) -> JSONValue? {
        FieldPath(path).value(in: record)
    }

    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text): text
        case .number(let lexeme): lexeme
        case .bool(let flag): flag ? "true" : "false"
        default: nil
        }
    }

    /// `1`/`true`/`yes` is positive, `0`/`-1`/`false`/`no` negative; with `positive` set, exactly
    /// that text is positive and anything else negative.
    static func outcome(_ value: JSONValue, positive: String?) -> Bool? {
        guard let cell = text(value) else { return nil }
        if let positive { return cell == positive }
        switch cell.lowercased() {
        case "1", "1.0", "true", "yes": return true
        case "0", "0.0", "-1", "-1.0", "false", "no": return false
        default: return nil
        }
    }
}

extension FairnessStage.Release {
    public var privacy: PrivacyStatement? { nil }
}

/// A published window as a typed value, attached to its aggregates message for in-process
/// consumers once committed (metrics, the status page): the noisy metrics only, as published.
public struct WindowNotice: Sendable {
    public var evaluation: WindowEvaluation
    public var privacy: PrivacyStatement?
    /// The stage's exact input counters, for the operator's metrics only: in private mode they are
    /// not published, since exact counts of late or over-cap records would reveal people.
    public var counters: StreamCounters

    public init(evaluation: WindowEvaluation, privacy: PrivacyStatement?, counters: StreamCounters = StreamCounters()) {
        self.evaluation = evaluation
        self.privacy = privacy
        self.counters = counters
    }
}

extension Processor {
    /// Where the fairness stage's alert transitions are posted, if its topology names a webhook.
    public var alertWebhook: WebhookSpec? {
        streamStages.lazy.compactMap { ($0 as? FairnessStage)?.monitor.config.alerts.webhook }.first
    }
}
