import CRdKafka

/// A consumed message, copied out of librdkafka's buffers.
public struct ConsumedMessage: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    /// The message timestamp in milliseconds since the epoch, when the broker provided one.
    public var timestamp: Int64?
}

/// A consumer in a consumer group with manual offset management.
///
/// Not Sendable: it lives on the one thread that polls it. Rebalances are served inside `poll`,
/// on that thread (eager and cooperative protocols both handled). `close()` leaves the group.
public final class KafkaConsumer {
    let client: RDKafkaClient
    private var closed = false

    private init(client: RDKafkaClient) {
        self.client = client
    }

    /// Creates a consumer; `group.id` is required. Auto-commit is off unless configured on: the
    /// caller commits (in a transaction or with `commit`). `statistics` receives librdkafka's
    /// statistics JSON every `statistics.interval.ms`, on the thread that polls.
    public static func make(
        configuration: KafkaConfiguration, statistics: (@Sendable ([UInt8]) -> Void)? = nil
    ) throws(KafkaError) -> KafkaConsumer {
        var configuration = configuration
        guard configuration["group.id"] != nil else {
            throw KafkaError(code: .configuration, message: "a consumer needs group.id")
        }
        if configuration["enable.auto.commit"] == nil { configuration["enable.auto.commit"] = "false" }
        if configuration["auto.offset.reset"] == nil { configuration["auto.offset.reset"] = "earliest" }
        if configuration["isolation.level"] == nil { configuration["isolation.level"] = "read_committed" }
        let sink = statistics.map(StatisticsSink.init)
        let client = try RDKafkaClient.make(
            kind: .consumer, configuration: configuration, opaque: sink.map { Unmanaged.passUnretained($0).toOpaque() },
            retaining: sink
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
            if sink != nil { rd_kafka_conf_set_stats_cb(conf, statisticsCallback) }
        }
        rd_kafka_poll_set_consumer(client.handle)
        return KafkaConsumer(client: client)
    }

    deinit {
        if !closed { rd_kafka_consumer_close(client.handle) }
    }

    public func subscribe(topics: [String]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: topics.count)
        for topic in topics { list.add(topic: topic, partition: -1, offset: Int64(RD_KAFKA_OFFSET_INVALID)) }
        let result = rd_kafka_subscribe(client.handle, list.pointer)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.response(result, code: .consume, context: "subscribe")
        }
    }

    /// Assigns partitions directly (no group management), starting at the given offsets.
    public func assign(_ partitions: [TopicPartitionOffset]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(topic: partition.topic, partition: partition.partition, offset: partition.offset) }
        let result = rd_kafka_assign(client.handle, list.pointer)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.response(result, code: .consume, context: "assign")
        }
    }

    /// Waits up to `timeoutMilliseconds` for one message. Returns nil on timeout; partition-EOF
    /// events are skipped; consumer errors that are not fatal are returned as thrown errors with
    /// `isRetriable` set so the caller may keep polling.
    public func poll(timeoutMilliseconds: Int32) throws(KafkaError) -> ConsumedMessage? {
        guard let message = rd_kafka_consumer_poll(client.handle, timeoutMilliseconds) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        let value = message.pointee
        if value.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return nil }
        if value.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            var error = KafkaError.response(value.err, code: .consume, context: "consume")
            error.isFatal = value.err == RD_KAFKA_RESP_ERR__FATAL
            error.isRetriable = !error.isFatal
            throw error
        }
        let topic = value.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let payload = value.payload.map {
            Array(UnsafeRawBufferPointer(start: $0, count: value.len).bindMemory(to: UInt8.self))
        } ?? []
        let key = value.key.map {
            Array(UnsafeRawBufferPointer(start: $0, count: value.key_len).bindMemory(to: UInt8.self))
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return ConsumedMessage(
            topic: topic, partition: value.partition, offset: value.offset, key: key, value: payload,
            timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp)
    }

    /// Commits the given next-to-read offsets synchronously.
    public func commit(_ offsets: [TopicPartitionOffset]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for offset in offsets { list.add(topic: offset.topic, partition: offset.partition, offset: offset.offset) }
        let result = rd_kafka_commit(client.handle, list.pointer, 0)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.response(result, code: .commit, context: "commit offsets")
        }
    }

    /// Moves the fetch positions back (or forward), e.g. to re-read a batch after an aborted
    /// transaction.
    public func seek(_ offsets: [TopicPartitionOffset], timeoutMilliseconds: Int32 = 10_000) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for offset in offsets { list.add(topic: offset.topic, partition: offset.partition, offset: offset.offset) }
        if let error = rd_kafka_seek_partitions(client.handle, list.pointer, timeoutMilliseconds) {
            throw KafkaError.consuming(error, code: .consume)
        }
    }

    /// The partitions currently assigned to this member.
    public func assignment() -> [TopicPartitionOffset] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(client.handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return TopicPartitionOffset(topic: String(cString: element.topic), partition: element.partition, offset: element.offset)
        }
    }

    /// The committed offsets of the given partitions (blocking; dedicated thread only).
    public func committed(_ partitions: [TopicPartitionOffset], timeoutMilliseconds: Int32 = 10_000) throws(KafkaError)
        -> [TopicPartitionOffset]
    {
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(topic: partition.topic, partition: partition.partition, offset: -1001) }
        let result = rd_kafka_committed(client.handle, list.pointer, timeoutMilliseconds)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.response(result, code: .commit, context: "read committed offsets")
        }
        return list.elements.map { TopicPartitionOffset(topic: $0.topic, partition: $0.partition, offset: $0.offset) }
    }

    /// Leaves the group cleanly (revokes partitions, sends LeaveGroup). Blocking.
    public func close() {
        guard !closed else { return }
        closed = true
        rd_kafka_consumer_close(client.handle)
    }
}

/// Accepts every assignment the group coordinator hands out and gives back revoked partitions,
/// for both the eager and the cooperative rebalance protocol. Runs inside `consumer_poll`.
private let rebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { handle, error, partitions, _ in
        guard let handle else { return }
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let failure = rd_kafka_incremental_assign(handle, partitions) { rd_kafka_error_destroy(failure) }
            } else {
                rd_kafka_assign(handle, partitions)
            }
        default:
            if cooperative {
                if let failure = rd_kafka_incremental_unassign(handle, partitions) { rd_kafka_error_destroy(failure) }
            } else {
                rd_kafka_assign(handle, nil)
            }
        }
    }

/// Where the statistics callback delivers: the conf opaque points at it, and the client keeps it
/// alive until after `rd_kafka_destroy` (`RDKafkaClient.retained`).
final class StatisticsSink: Sendable {
    let deliver: @Sendable ([UInt8]) -> Void
    init(_ deliver: @escaping @Sendable ([UInt8]) -> Void) { self.deliver = deliver }
}

/// Copies the statistics JSON out and returns 0, so librdkafka frees its buffer.
private let statisticsCallback:
    @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = {
        _, json, length, opaque in
        guard let json, let opaque else { return 0 }
        let sink = Unmanaged<StatisticsSink>.fromOpaque(opaque).takeUnretainedValue()
        sink.deliver(Array(UnsafeRawBufferPointer(start: json, count: length).bindMemory(to: UInt8.self)))
        return 0
    }
