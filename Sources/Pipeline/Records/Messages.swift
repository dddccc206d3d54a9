/// A message as it arrived: its position in the log and its bytes.
public struct InputMessage: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]? = nil, value: [UInt8]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
    }

    /// The position as the CloudEvent `id` spells it: `<topic>/<partition>/<offset>`.
    public var positionID: String { "\(topic)/\(partition)/\(offset)" }
}

/// A message to an internal topic (the repartition topic), to one partition.
public struct ProducerRecord: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var value: [UInt8]

    public init(topic: String, partition: Int32, value: [UInt8]) {
        self.topic = topic
        self.partition = partition
        self.value = value
    }
}

/// A message to publish.
public struct OutputMessage: Sendable, Equatable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]
    /// The stage's typed value behind this message, for in-process consumers once the message is
    /// committed (alert delivery); never published, and not part of equality.
    public var notice: (any Sendable)?

    public init(topic: String, key: [UInt8]?, value: [UInt8], notice: (any Sendable)? = nil) {
        self.topic = topic
        self.key = key
        self.value = value
        self.notice = notice
    }

    public static func == (lhs: OutputMessage, rhs: OutputMessage) -> Bool {
        lhs.topic == rhs.topic && lhs.key == rhs.key && lhs.value == rhs.value
    }
}
