/// One step of the per-record part of a pipeline (redaction, scoring): takes a decoded record and
/// changes it, or rejects it to the dead-letter topic. Stateless, so any instance may process any
/// partition and a replay needs no restored state.
public protocol RecordStage: Sendable {
    /// The topology section this stage comes from, e.g. `redaction`.
    var name: String { get }
    /// Mutating so a stage may keep scratch buffers (the scorer's reused rows); it must not keep
    /// state that changes what a later record produces.
    mutating func process(_ record: inout JSONValue, context: RecordContext) throws(Rejection)
}

/// What a stage may know about the record besides its content.
public struct RecordContext: Sendable {
    public var position: String
    public var eventTime: Int64?

    public init(position: String, eventTime: Int64?) {
        self.position = position
        self.eventTime = eventTime
    }
}

/// The keyed part of a pipeline (windows, DP counters, fairness, alerts): sees every sanitized
/// record with its event time, and emits messages as stream time advances. A value type, so the
/// runtime can snapshot it before a batch and roll back when a transaction aborts.
public protocol StreamStage: Sendable {
    var name: String { get }
    /// Takes one sanitized record; returns messages to publish now.
    mutating func observe(_ record: JSONValue, context: RecordContext) -> [Emission]
    /// Called after every record with the stream time (largest event time seen); returns messages
    /// for windows that closed. Must be cheap when nothing closes.
    mutating func advance(streamTime: Int64?) -> [Emission]
    /// The stage's whole state as one JSON value, for the changelog (`Processor.snapshot()`).
    func snapshot() throws -> [UInt8]
    /// Replaces the stage's state with one `snapshot()` returned by a stage of the same configuration.
    mutating func restore(_ snapshot: [UInt8]) throws
    /// The keyed parts of the state that changed since the last call (per-person state, which can
    /// be far too large to rewrite whole per batch): each goes to the changelog under its own key,
    /// as a Kafka Streams key-value store's changes do. `snapshot()` leaves them out.
    mutating func takeChangedEntries() -> [StateEntry]
    /// Sets the keyed parts, after `restore(_:)`: the latest value of every key not removed.
    mutating func restore(entries: [String: [UInt8]]) throws
}

extension StreamStage {
    public mutating func takeChangedEntries() -> [StateEntry] { [] }
    public mutating func restore(entries: [String: [UInt8]]) throws {}
}

/// One keyed part of a stream stage's state: its value, or nil when the part is gone.
public struct StateEntry: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A message a stream stage publishes: which output, and the CloudEvent's parts.
public struct Emission: Sendable, Equatable {
    public enum Output: Sendable, Equatable {
        case aggregates, alerts, audit
        /// A record the stage could not use (e.g. an event later than every open window).
        case deadLetter
    }

    public var output: Output
    /// Deterministic id, e.g. derived from (series, step), so replays give the same bytes.
    public var id: String
    public var type: String
    public var time: Int64?
    public var subject: String?
    public var key: [UInt8]?
    public var data: [UInt8]
    /// The same message as a typed value for in-process consumers (an alert transition for the
    /// runtime's delivery service); never published, and not part of equality.
    public var notice: (any Sendable)?

    public init(
        output: Output, id: String, type: String, time: Int64?, subject: String?, key: [UInt8]? = nil, data: [UInt8],
        notice: (any Sendable)? = nil
    ) {
        self.output = output
        self.id = id
        self.type = type
        self.time = time
        self.subject = subject
        self.key = key
        self.data = data
        self.notice = notice
    }

    public static func == (lhs: Emission, rhs: Emission) -> Bool {
        lhs.output == rhs.output && lhs.id == rhs.id && lhs.type == rhs.type && lhs.time == rhs.time
            && lhs.subject == rhs.subject && lhs.key == rhs.key && lhs.data == rhs.data
    }
}
