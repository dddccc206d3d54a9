import Audit
import JSON

/// Where an input message sits: its topic, partition and offset.
public struct SourcePosition: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var partitionID: PartitionID { PartitionID(topic: topic, partition: partition) }
    /// `topic/partition/offset`, the id of the message's sanitized event or dead letter.
    public var positionID: String { "\(topic)/\(partition)/\(offset)" }
}

/// What the record stages made of one input message, for the stream part of the processor: the
/// one message they publish (the sanitized event or the dead letter) and what the stream stages and
/// the audit log read besides. In one process it passes straight on (`Processor.process(_:)`); with
/// several instances (`steward run --scale-out`) it travels through the topology's repartition
/// topic to the one instance that runs the stream part, which publishes the message in merged order.
public struct Handoff: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// The sanitized record the stream stages observe.
        case sanitized(JSONValue)
        /// Dead-lettered by decoding or a record stage, for this reason.
        case rejected(DeadLetterReason)
    }

    public var source: SourcePosition
    /// The decoded record's event time (also when a record stage rejected it): the merge orders by it.
    public var eventTime: Int64?
    public var outcome: Outcome
    /// The sanitized event or the dead letter, exactly as published.
    public var output: OutputMessage

    public init(source: SourcePosition, eventTime: Int64?, outcome: Outcome, output: OutputMessage) {
        self.source = source
        self.eventTime = eventTime
        self.outcome = outcome
        self.output = output
    }
}

extension Handoff {
    /// The repartition topic's message value: one line of JSON (source position, event time, the
    /// rejection reason if any, the output's topic and key in hex), a newline, then the output
    /// message's value as published. A CloudEvent is compact JSON, so the first newline ends the
    /// header.
    public func encoded() -> [UInt8] {
        var writer = JSONWriter(capacity: output.value.count + 160)
        writer.appendASCII("{\"topic\":")
        writer.writeString(source.topic)
        writer.appendASCII(",\"partition\":")
        writer.writeInteger(source.partition)
        writer.appendASCII(",\"offset\":")
        writer.writeInteger(source.offset)
        if let eventTime {
            writer.appendASCII(",\"time\":")
            writer.writeInteger(eventTime)
        }
        if case .rejected(let reason) = outcome {
            writer.appendASCII(",\"reason\":")
            writer.writeString(reason.rawValue)
        }
        writer.appendASCII(",\"output\":")
        writer.writeString(output.topic)
        if let key = output.key {
            writer.appendASCII(",\"key\":")
            writer.writeString(Hex.encode(key))
        }
        writer.appendASCII("}\n")
        writer.appendRaw(output.value)
        return writer.bytes
    }

    /// Reads `encoded()`'s bytes back; a sanitized record is parsed from the event's `data`.
    public init(decoding bytes: [UInt8]) throws(HandoffError) {
        guard let newline = bytes.firstIndex(of: 0x0A) else { throw HandoffError("no header line") }
        let header: JSONValue
        do { header = try JSONParser.parse(Array(bytes[..<newline])) } catch {
            throw HandoffError("header: \(error.message) at byte \(error.offset)")
        }
        guard case .string(let topic) = header["topic"], case .number(let partitionText) = header["partition"],
            let partition = Int32(partitionText), case .number(let offsetText) = header["offset"],
            let offset = Int64(offsetText), case .string(let outputTopic) = header["output"]
        else { throw HandoffError("header lacks topic, partition, offset or output") }
        var eventTime: Int64?
        if let time = header["time"] {
            guard case .number(let text) = time, let millis = Int64(text) else { throw HandoffError("bad time") }
            eventTime = millis
        }
        var key: [UInt8]?
        if let keyValue = header["key"] {
            guard case .string(let text) = keyValue, let decoded = Hex.decode(text) else { throw HandoffError("bad key") }
            key = decoded
        }
        let value = Array(bytes[(newline + 1)...])
        let outcome: Outcome
        if let reasonValue = header["reason"] {
            guard case .string(let text) = reasonValue, let reason = DeadLetterReason(rawValue: text) else {
                throw HandoffError("unknown reason")
            }
            outcome = .rejected(reason)
        } else {
            outcome = .sanitized(try Self.eventData(value))
        }
        self.init(
            source: SourcePosition(topic: topic, partition: partition, offset: offset), eventTime: eventTime,
            outcome: outcome, output: OutputMessage(topic: outputTopic, key: key, value: value))
    }

    /// The `data` member of a sanitized event as `CloudEvent.encode` writes it: the last member, after
    /// a fixed marker that cannot occur earlier outside a string (every earlier value is a string).
    static func eventData(_ event: [UInt8]) throws(HandoffError) -> JSONValue {
        let marker = Array(",\"datacontenttype\":\"application/json\",\"data\":".utf8)
        guard event.count > marker.count, event.last == UInt8(ascii: "}") else { throw HandoffError("not an event") }
        var start: Int?
        var index = 0
        while index + marker.count < event.count {
            if event[index] == marker[0], event[index..<(index + marker.count)].elementsEqual(marker) {
                start = index + marker.count
                break
            }
            index += 1
        }
        guard let start else { throw HandoffError("the event has no data") }
        do { return try JSONParser.parse(Array(event[start..<(event.count - 1)])) } catch {
            throw HandoffError("event data: \(error.message)")
        }
    }
}

/// A repartition message that is not what `Handoff.encoded()` writes.
public struct HandoffError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
