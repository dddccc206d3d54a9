/// Writes CloudEvents 1.0 in structured JSON mode, attributes in a fixed order so equal inputs give
/// equal bytes.
public enum CloudEvent {
    public static let sanitizedType = "dev.steward.record.sanitized.v1"
    public static let deadLetterType = "dev.steward.record.deadletter.v1"

    /// An extension attribute (lineage): a lower-case alphanumeric name and a string value.
    public struct Attribute: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Encodes one event whose `data` is already-encoded JSON; extension attributes go after
    /// `subject`, in the order given.
    public static func encode(
        id: String, source: String, type: String, time: String?, subject: String?, extensions: [Attribute] = [],
        data: [UInt8]
    ) -> [UInt8] {
        encode(
            id: id, source: source, type: type, time: time, subject: subject, extensions: extensions,
            capacity: data.count + 256
        ) { $0.appendRaw(data) }
    }

    /// Encodes one event whose `data` is `value`, written straight into the event's buffer.
    /// `capacity` is a guess of the event's size (one allocation when it holds).
    public static func encode(
        id: String, source: String, type: String, time: String?, subject: String?, extensions: [Attribute] = [],
        value: JSONValue, capacity: Int
    ) -> [UInt8] {
        encode(
            id: id, source: source, type: type, time: time, subject: subject, extensions: extensions,
            capacity: capacity
        ) { $0.write(value) }
    }

    private static func encode(
        id: String, source: String, type: String, time: String?, subject: String?, extensions: [Attribute],
        capacity: Int, data: (inout JSONWriter) -> Void
    ) -> [UInt8] {
        var writer = JSONWriter(capacity: capacity)
        writer.appendASCII("{\"specversion\":\"1.0\",\"id\":")
        writer.writeString(id)
        writer.appendASCII(",\"source\":")
        writer.writeString(source)
        writer.appendASCII(",\"type\":")
        writer.writeString(type)
        if let time {
            writer.appendASCII(",\"time\":")
            writer.writeString(time)
        }
        if let subject {
            writer.appendASCII(",\"subject\":")
            writer.writeString(subject)
        }
        for attribute in extensions {
            writer.appendASCII(",")
            writer.writeString(attribute.name)
            writer.appendASCII(":")
            writer.writeString(attribute.value)
        }
        writer.appendASCII(",\"datacontenttype\":\"application/json\",\"data\":")
        data(&writer)
        writer.appendASCII("}")
        return writer.bytes
    }
}
