/// An input partition: a topic and a partition number.
public struct PartitionID: Hashable, Comparable, Sendable, Codable {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: PartitionID, rhs: PartitionID) -> Bool {
        (lhs.partition, lhs.topic) < (rhs.partition, rhs.topic)
    }
}

/// A message decoded once, waiting to be processed: see `Processor.prepare(_:)`.
public struct PreparedMessage: MergeItem {
    public let message: InputMessage
    let decoded: Result<Processor.Record, Rejection>

    /// The record's event time, if it decoded and has one.
    public var eventTime: Int64? {
        if case .success(let record) = decoded { record.eventTime } else { nil }
    }

    public var partition: PartitionID { PartitionID(topic: message.topic, partition: message.partition) }
    public var offset: Int64 { message.offset }
}

/// Runs a topology over messages: pure, deterministic, no I/O.
///
/// The same sequence of input messages always yields the same output bytes, which is what lets
/// `steward replay` reproduce a Kafka run exactly and lets consumers de-duplicate on `id`.
public struct Processor: Sendable {
    public let topology: Topology
    public private(set) var stages: [any RecordStage]
    public internal(set) var streamStages: [any StreamStage]
    public internal(set) var counters = Counters()
    /// The largest event time seen so far (milliseconds since the epoch), if any record had one.
    public internal(set) var streamTime: Int64?
    /// Per input partition, the offset after the last message processed: where a run restored
    /// from this processor's state resumes reading.
    public internal(set) var positions: [PartitionID: Int64] = [:]
    /// Counts `takeChangedEntries()` calls: the changelog stamps every keyed entry with it, and the
    /// snapshot records the generation it goes with, so a restore uses no entry written after it.
    public internal(set) var stateGeneration: Int64 = 0
    /// The lineage attributes every output carries (Events/Lineage.swift).
    public var lineage = Lineage() {
        didSet { lineageAttributes = (lineage.attributes(scored: false), lineage.attributes(scored: true)) }
    }
    /// `lineage` as attributes, built once rather than per output.
    var lineageAttributes: (plain: [CloudEvent.Attribute], scored: [CloudEvent.Attribute]) = ([], [])
    /// The audit log, with its state; nil writes none (Audit/AuditRecorder.swift).
    public var audit: AuditRecorder?
    let source: String

    public init(topology: Topology, stages: [any RecordStage] = [], streamStages: [any StreamStage] = []) {
        self.topology = topology
        self.stages = stages
        self.streamStages = streamStages
        self.source = "/steward/\(topology.name)"
    }

    /// What the processor has done, for metrics and for the `inputs = outputs + dead letters` check.
    public struct Counters: Sendable, Equatable, Codable {
        public var consumed = 0
        public var sanitized = 0
        public var deadLettered = 0
        public var deadLettersByReason: [String: Int] = [:]
        /// Sanitized records a stream stage could not use (e.g. later than every open window);
        /// each also has a message on the dead-letter topic from that stage.
        public var unusedByStreamStages = 0
        /// Times the merge of several partitions went on without a partition that had no data for
        /// `max.task.idle.ms`: the one way a Kafka run can order records differently from a replay.
        public var idleMerges = 0

        public init() {}

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            consumed = try c.decode(Int.self, forKey: .consumed)
            sanitized = try c.decode(Int.self, forKey: .sanitized)
            deadLettered = try c.decode(Int.self, forKey: .deadLettered)
            deadLettersByReason = try c.decode([String: Int].self, forKey: .deadLettersByReason)
            unusedByStreamStages = try c.decode(Int.self, forKey: .unusedByStreamStages)
            idleMerges = try c.decodeIfPresent(Int.self, forKey: .idleMerges) ?? 0
        }
    }

    /// Processes one message and returns what to publish for it (always at least one message:
    /// a record is either processed or dead-lettered, never dropped), then an audit entry when one
    /// is due.
    public mutating func process(_ message: InputMessage) -> [OutputMessage] {
        process(prepare(message))
    }

    /// Decodes a message without changing the processor: the merge of several partitions orders
    /// prepared messages by event time before `process(_:)` takes them in that order.
    public func prepare(_ message: InputMessage) -> PreparedMessage {
        do throws(Rejection) {
            return PreparedMessage(message: message, decoded: .success(try decode(message)))
        } catch {
            return PreparedMessage(message: message, decoded: .failure(error))
        }
    }

    /// Counts a record that reached the stream stages after the merge had gone on without its
    /// partition past its event time (`Counters.idleMerges`).
    public mutating func countIdleMerge() {
        counters.idleMerges += 1
    }

    /// Processes one prepared message (see `process(_:)`), then lets the audit log see its outputs.
    public mutating func process(_ prepared: PreparedMessage) -> [OutputMessage] {
        process(recordStages(prepared))
    }

    /// The stream part of `process(_:)` for a record the record stages already took (here or, with
    /// several instances, on another instance): counters, stream stages, then the audit log.
    public mutating func process(_ handoff: Handoff) -> [OutputMessage] {
        let outputs = streamStages(handoff)
        return audit == nil ? outputs : audited(handoff.source, outputs: outputs)
    }

    /// The per-record part: decoding's outcome through the record stages, to the one message they
    /// publish (the sanitized event or the dead letter). Changes nothing the stream part reads.
    public mutating func recordStages(_ prepared: PreparedMessage) -> Handoff {
        let message = prepared.message
        let source = SourcePosition(topic: message.topic, partition: message.partition, offset: message.offset)
        do {
            var record = try prepared.decoded.get()
            let context = RecordContext(position: message.positionID, eventTime: record.eventTime)
            for index in stages.indices {
                try stages[index].process(&record.value, context: context)
            }
            let output = sanitizedMessage(record, for: message)
            return Handoff(source: source, eventTime: record.eventTime, outcome: .sanitized(record.value), output: output)
        } catch {
            return Handoff(
                source: source, eventTime: prepared.eventTime, outcome: .rejected(error.reason),
                output: deadLetterMessage(error, for: message))
        }
    }

    /// With several instances: the record stages, counted here, and the message that hands their
    /// outcome to the stream part (`Topology.Output.repartition`, partition 0).
    public mutating func handOff(_ prepared: PreparedMessage) -> ProducerRecord {
        let handoff = recordStages(prepared)
        count(handoff)
        return ProducerRecord(topic: topology.output.repartition, partition: 0, value: handoff.encoded())
    }

    mutating func count(_ handoff: Handoff) {
        counters.consumed += 1
        positions[handoff.source.partitionID] = handoff.source.offset + 1
        switch handoff.outcome {
        case .rejected(let reason):
            counters.deadLettered += 1
            counters.deadLettersByReason[reason.rawValue, default: 0] += 1
        case .sanitized:
            counters.sanitized += 1
        }
    }

    mutating func streamStages(_ handoff: Handoff) -> [OutputMessage] {
        count(handoff)
        // A decoded record moves stream time even when a record stage then rejects it.
        if let eventTime = handoff.eventTime {
            streamTime = max(streamTime ?? eventTime, eventTime)
        }
        switch handoff.outcome {
        case .rejected:
            return [handoff.output]
        case .sanitized(let value):
            var outputs = [handoff.output]
            guard !streamStages.isEmpty else { return outputs }
            let context = RecordContext(position: handoff.source.positionID, eventTime: handoff.eventTime)
            for index in streamStages.indices {
                let observed = streamStages[index].observe(value, context: context)
                counters.unusedByStreamStages += observed.filter { $0.output == .deadLetter }.count
                outputs += observed.map(emitted)
                // Advancing after every record (not per batch) keeps what a window contains
                // independent of how the runtime batches input: replays give the same bytes.
                outputs += streamStages[index].advance(streamTime: streamTime).map(emitted)
            }
            return outputs
        }
    }

    func emitted(_ emission: Emission) -> OutputMessage {
        let topic: String
        switch emission.output {
        case .aggregates: topic = topology.output.aggregates
        case .alerts: topic = topology.output.alerts
        case .audit: topic = topology.output.audit
        case .deadLetter: topic = topology.output.deadLetter
        }
        let event = CloudEvent.encode(
            id: emission.id, source: source, type: emission.type,
            time: emission.time.map { Timestamp.formatRFC3339(milliseconds: $0) }, subject: emission.subject,
            extensions: lineageAttributes.plain, data: emission.data)
        return OutputMessage(topic: topic, key: emission.key, value: event, notice: emission.notice)
    }

    /// A decoded record on its way through the stages.
    struct Record: Sendable {
        var value: JSONValue
        var eventTime: Int64?
        var subject: String?
    }

    func decode(_ message: InputMessage) throws(Rejection) -> Record {
        let input = topology.input
        guard message.value.count <= input.maxMessageBytes else {
            throw Rejection(.tooLarge, "message is \(message.value.count) bytes; the limit is \(input.maxMessageBytes)")
        }
        if let badOffset = UTF8Validation.firstInvalidOffset(message.value) {
            throw Rejection(.invalidUTF8, "invalid UTF-8 at byte \(badOffset)")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(message.value)
        } catch {
            throw Rejection(.invalidJSON, "\(error.message) at byte \(error.offset)")
        }
        guard case .object = value else {
            throw Rejection(.wrongType, "record is a JSON \(value.typeName); expected an object")
        }
        for field in input.requiredFields where value[field] == nil || value[field] == .null {
            throw Rejection(.missingField, "required field '\(field)' is missing")
        }
        for declared in input.fieldTypes {
            if let present = value[declared.field], present != .null, !declared.type.admits(present) {
                throw Rejection(
                    .wrongType, "field '\(declared.field)' is a \(present.typeName); expected \(declared.type.rawValue)")
            }
        }
        var record = Record(value: value)
        if let timeField = input.eventTimeField, let time = value[timeField], time != .null {
            switch time {
            case .string(let text):
                guard let millis = Timestamp.parseRFC3339(text) else {
                    throw Rejection(.invalidTimestamp, "field '\(timeField)' is not an RFC 3339 timestamp")
                }
                record.eventTime = millis
            case .number(let text):
                guard let millis = Int64(text) else {
                    throw Rejection(.invalidTimestamp, "field '\(timeField)' is not integer epoch milliseconds")
                }
                record.eventTime = millis
            default:
                throw Rejection(.wrongType, "field '\(timeField)' is a \(time.typeName); expected a timestamp")
            }
        }
        if let subjectField = input.subjectField, let subject = value[subjectField] {
            switch subject {
            case .string(let text): record.subject = text
            case .number(let text): record.subject = text
            default: break
            }
        }
        return record
    }

    func sanitizedMessage(_ record: Record, for message: InputMessage) -> OutputMessage {
        let event = CloudEvent.encode(
            id: message.positionID, source: source, type: CloudEvent.sanitizedType,
            time: record.eventTime.map { Timestamp.formatRFC3339(milliseconds: $0) }, subject: record.subject,
            extensions: lineageAttributes.scored, value: record.value,
            // The record as it came, plus what the stages added (a score, its explanation) and the
            // envelope: one allocation for nearly every event.
            capacity: message.value.count + 1024)
        return OutputMessage(topic: topology.output.sanitized, key: message.key, value: event)
    }

    func deadLetterMessage(_ rejection: Rejection, for message: InputMessage) -> OutputMessage {
        var data = JSONWriter(capacity: message.value.count + 200)
        data.appendASCII("{\"reason\":")
        data.writeString(rejection.reason.rawValue)
        data.appendASCII(",\"detail\":")
        data.writeString(rejection.detail)
        data.appendASCII(",\"topic\":")
        data.writeString(message.topic)
        data.appendASCII(",\"partition\":")
        data.writeInteger(message.partition)
        data.appendASCII(",\"offset\":")
        data.writeInteger(message.offset)
        if UTF8Validation.firstInvalidOffset(message.value) == nil {
            data.appendASCII(",\"original\":")
            data.writeString(String(decoding: message.value, as: UTF8.self))
        } else {
            data.appendASCII(",\"original_base64\":")
            data.writeString(Base64.encode(message.value))
        }
        data.appendASCII("}")
        let event = CloudEvent.encode(
            id: message.positionID, source: source, type: CloudEvent.deadLetterType, time: nil, subject: nil,
            extensions: lineageAttributes.plain, data: data.bytes)
        return OutputMessage(topic: topology.output.deadLetter, key: message.key, value: event)
    }
}
