import CRdKafka
import Synchronization

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
    /// What the rebalance callback saw, for the runtime to read after each poll.
    private let rebalances: RebalanceLog?

    private init(client: RDKafkaClient, rebalances: RebalanceLog?) {
        self.client = client
        self.rebalances = rebalances
    }

    /// One rebalance as the callback saw it: the partitions assigned or revoked, and the error
    /// librdkafka returned for the (un)assignment, if any.
    public struct Rebalance: Sendable, Equatable {
        public enum Kind: Sendable, Equatable { case assigned, revoked }
        public var kind: Kind
        public var partitions: [TopicPartitionOffset]
        public var failure: String?
    }

    /// The rebalances since the last call, oldest first (served inside `poll`).
    public func takeRebalances() -> [Rebalance] {
        rebalances?.events.withLock { events in
            defer { events.removeAll() }
            return events
        } ?? []
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
        let log = RebalanceLog(statistics: statistics)
        let client = try RDKafkaClient.make(
            kind: .consumer, configuration: configuration, opaque: Unmanaged.passUnretained(log).toOpaque(),
            retaining: log
        ) { conf in
            rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
            if statistics != nil { rd_kafka_conf_set_stats_cb(conf, statisticsCallback) }
        }
        rd_kafka_poll_set_consumer(client.handle)
        return KafkaConsumer(client: client, rebalances: log)
    }

    /// A consumer that reads partitions it assigns itself (e.g. restoring state from a
    /// changelog): it never joins or commits to `group` (librdkafka's assign needs a group id to
    /// exist). Reads committed data only.
    public static func makeReader(configuration: KafkaConfiguration, group: String) throws(KafkaError) -> KafkaConsumer {
        var configuration = configuration
        configuration["group.id"] = group
        configuration["enable.auto.commit"] = "false"
        if configuration["isolation.level"] == nil { configuration["isolation.level"] = "read_committed" }
        let client = try RDKafkaClient.make(kind: .consumer, configuration: configuration)
        rd_kafka_poll_set_consumer(client.handle)
        return KafkaConsumer(client: client, rebalances: nil)
    }

    deinit {
        if !closed { rd_kafka_consumer_close(client.handle) }
    }

    /// The low and high watermark offsets of a partition, asked of the broker (blocking). Nil when
    /// the topic or partition does not exist.
    public func watermarks(topic: String, partition: Int32, timeoutMilliseconds: Int32 = 10_000) throws(KafkaError)
        -> (low: Int64, high: Int64)?
    {
        var low: Int64 = 0
        var high: Int64 = 0
        let result = rd_kafka_query_watermark_offsets(client.handle, topic, partition, &low, &high, timeoutMilliseconds)
        switch result {
        case RD_KAFKA_RESP_ERR_NO_ERROR: return (low, high)
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            return nil
        default: throw KafkaError.response(result, code: .consume, context: "query watermarks of \(topic)/\(partition)")
        }
    }

    /// How many partitions a topic has, from the broker's metadata (blocking); nil when the topic
    /// does not exist (yet).
    public func partitionCount(topic: String, timeoutMilliseconds: Int32 = 10_000) throws(KafkaError) -> Int? {
        guard let handle = rd_kafka_topic_new(client.handle, topic, nil) else {
            throw KafkaError(code: .consume, message: "cannot make a topic handle for \(topic)")
        }
        defer { rd_kafka_topic_destroy(handle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let result = rd_kafka_metadata(client.handle, 0, handle, &metadata, timeoutMilliseconds)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.response(result, code: .consume, context: "metadata of \(topic)")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { return nil }
        let entry = metadata.pointee.topics[0]
        guard entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.partition_cnt > 0 else { return nil }
        return Int(entry.partition_cnt)
    }

    /// Whether this consumer has fetched everything the broker had in a partition when it last
    /// answered a fetch (its position is at the high watermark librdkafka cached then); no broker
    /// round trip. False when either is not known yet.
    public func isCaughtUp(topic: String, partition: Int32) -> Bool {
        var low: Int64 = 0
        var high: Int64 = 0
        guard rd_kafka_get_watermark_offsets(client.handle, topic, partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
            high >= 0, let position = position(topic: topic, partition: partition)
        else { return false }
        return position >= high
    }

    /// The next offset this consumer will read from a partition it is assigned (past any
    /// transaction markers), or nil if none is known yet.
    public func position(topic: String, partition: Int32) -> Int64? {
        let list = RDKafkaTopicPartitionList(capacity: 1)
        list.add(topic: topic, partition: partition, offset: -1001)
        guard rd_kafka_position(client.handle, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR,
            let element = list.elements.first, element.offset >= 0
        else { return nil }
        return element.offset
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

    /// Stops fetching the given partitions (Kafka's `pause`): librdkafka drops what it pre-fetched
    /// for them and, on `resume`, fetches again from the offset after the last message polled.
    public func pause(_ partitions: [TopicPartitionOffset]) throws(KafkaError) {
        try pauseOrResume(partitions, pause: true)
    }

    /// Fetches paused partitions again, from the offset after the last message polled. Only for
    /// partitions this consumer paused: librdkafka drops what it pre-fetched for a partition it is
    /// told to resume even when it was not paused, without fetching it again.
    public func resume(_ partitions: [TopicPartitionOffset]) throws(KafkaError) {
        try pauseOrResume(partitions, pause: false)
    }

    private func pauseOrResume(_ partitions: [TopicPartitionOffset], pause: Bool) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(topic: partition.topic, partition: partition.partition, offset: -1001) }
        let result = pause ? rd_kafka_pause_partitions(client.handle, list.pointer)
            : rd_kafka_resume_partitions(client.handle, list.pointer)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.response(result, code: .consume, context: pause ? "pause partitions" : "resume partitions")
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

/// What a consumer's callbacks reach through the conf opaque: the rebalances seen (read by the
/// polling thread) and where statistics go. The client keeps it alive until after
/// `rd_kafka_destroy` (`RDKafkaClient.retained`).
final class RebalanceLog: Sendable {
    let events = Mutex<[KafkaConsumer.Rebalance]>([])
    let statistics: (@Sendable ([UInt8]) -> Void)?

    init(statistics: (@Sendable ([UInt8]) -> Void)? = nil) {
        self.statistics = statistics
    }
}

/// Accepts every assignment the group coordinator hands out and gives back revoked partitions
/// (unpaused), for both the eager and the cooperative rebalance protocol, and records each (with any error
/// librdkafka returned) for the runtime. Runs inside `consumer_poll`, on the polling thread.
private let rebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
        UnsafeMutableRawPointer?
    ) -> Void = { handle, error, partitions, opaque in
        guard let handle else { return }
        let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
        let assigning = error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS
        var failure: String?
        if !assigning, let partitions {
            // A partition the application paused stays paused in librdkafka after it is revoked, and
            // would not fetch when assigned again: resume what is given back (its queued messages are
            // dropped with the revocation anyway). Never resume an assigned partition that is not
            // paused: that drops its pre-fetched messages without fetching them again.
            _ = rd_kafka_resume_partitions(handle, partitions)
        }
        if cooperative {
            let result = assigning ? rd_kafka_incremental_assign(handle, partitions) : rd_kafka_incremental_unassign(handle, partitions)
            if let result {
                failure = String(cString: rd_kafka_error_string(result))
                rd_kafka_error_destroy(result)
            }
        } else {
            let result = rd_kafka_assign(handle, assigning ? partitions : nil)
            if result != RD_KAFKA_RESP_ERR_NO_ERROR { failure = String(cString: rd_kafka_err2str(result)) }
        }
        guard let opaque else { return }
        var listed: [TopicPartitionOffset] = []
        if let partitions {
            for index in 0..<Int(partitions.pointee.cnt) {
                let element = partitions.pointee.elems[index]
                listed.append(
                    TopicPartitionOffset(
                        topic: String(cString: element.topic), partition: element.partition, offset: element.offset))
            }
        }
        let log = Unmanaged<RebalanceLog>.fromOpaque(opaque).takeUnretainedValue()
        log.events.withLock {
            $0.append(KafkaConsumer.Rebalance(kind: assigning ? .assigned : .revoked, partitions: listed, failure: failure))
        }
    }

/// Copies the statistics JSON out and returns 0, so librdkafka frees its buffer.
private let statisticsCallback:
    @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = {
        _, json, length, opaque in
        guard let json, let opaque else { return 0 }
        let sink = Unmanaged<RebalanceLog>.fromOpaque(opaque).takeUnretainedValue()
        sink.statistics?(Array(UnsafeRawBufferPointer(start: json, count: length).bindMemory(to: UInt8.self)))
        return 0
    }
