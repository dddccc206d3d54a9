import CRdKafka
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A message to send: topic, optional key and value bytes, optional headers.
public struct ProducerMessage: Sendable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]
    /// Partition, or nil to let the partitioner choose from the key.
    public var partition: Int32?
    public var headers: [(name: String, value: [UInt8])]

    public init(
        topic: String, key: [UInt8]? = nil, value: [UInt8], partition: Int32? = nil,
        headers: [(name: String, value: [UInt8])] = []
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.partition = partition
        self.headers = headers
    }
}

/// A Kafka producer: idempotent always, transactional when given a `transactional.id`.
///
/// Every method that can block (`flush`, transaction calls) must be called from a dedicated
/// thread, never from Swift's cooperative pool.
public final class KafkaProducer: @unchecked Sendable {
    let client: RDKafkaClient
    /// Reached from librdkafka's delivery-report callback through the conf opaque pointer; kept
    /// alive by this producer, which outlives the client's callbacks (destroyed in `deinit`).
    private let reports: DeliveryReports
    public let isTransactional: Bool

    private init(client: RDKafkaClient, reports: DeliveryReports, isTransactional: Bool) {
        self.client = client
        self.reports = reports
        self.isTransactional = isTransactional
    }

    /// Creates a producer. Idempotence is switched on unless the configuration says otherwise.
    public static func make(configuration: KafkaConfiguration) throws(KafkaError) -> KafkaProducer {
        var configuration = configuration
        if configuration["enable.idempotence"] == nil { configuration["enable.idempotence"] = "true" }
        let reports = DeliveryReports()
        let client = try RDKafkaClient.make(
            kind: .producer, configuration: configuration, opaque: Unmanaged.passUnretained(reports).toOpaque()
        ) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        }
        return KafkaProducer(
            client: client, reports: reports, isTransactional: configuration["transactional.id"] != nil)
    }

    deinit {
        // Serve outstanding delivery reports while `reports` is still alive.
        _ = rd_kafka_flush(client.handle, 5000)
    }

    /// Enqueues one message (copied); waits for queue space when the local queue is full.
    public func send(_ message: ProducerMessage) throws(KafkaError) {
        while true {
            let error = message.topic.withCString { topic in
                enqueue(message, topic: topic)
            }
            guard let error else { return }
            let failure = KafkaError.consuming(error, code: .produce)
            if failure.kafkaCode == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue {
                client.poll(milliseconds: 50)
                continue
            }
            throw failure
        }
    }

    private func enqueue(_ message: ProducerMessage, topic: UnsafePointer<CChar>) -> OpaquePointer? {
        let fieldCount = 3 + (message.key == nil ? 0 : 1) + (message.partition == nil ? 0 : 1) + message.headers.count
        var fields = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: fieldCount)
        var index = 0
        fields[index].vtype = RD_KAFKA_VTYPE_TOPIC
        fields[index].u.cstr = topic
        index += 1
        fields[index].vtype = RD_KAFKA_VTYPE_MSGFLAGS
        fields[index].u.i = RD_KAFKA_MSG_F_COPY
        index += 1
        if let partition = message.partition {
            fields[index].vtype = RD_KAFKA_VTYPE_PARTITION
            fields[index].u.i32 = partition
            index += 1
        }
        // Pointers into the Swift arrays are valid for the duration of the produceva call, which
        // copies the payload (RD_KAFKA_MSG_F_COPY) and the headers before returning.
        return message.value.withUnsafeBytes { value in
            fields[index].vtype = RD_KAFKA_VTYPE_VALUE
            fields[index].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
            fields[index].u.mem.size = value.count
            let keyIndex = index + 1
            return withOptionalBytes(message.key) { key in
                var next = keyIndex
                if let key {
                    fields[next].vtype = RD_KAFKA_VTYPE_KEY
                    fields[next].u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                    fields[next].u.mem.size = key.count
                    next += 1
                }
                return withHeaders(message.headers, fields: &fields, from: next) { fields in
                    fields.withUnsafeBufferPointer { buffer in
                        rd_kafka_produceva(client.handle, buffer.baseAddress, buffer.count)
                    }
                }
            }
        }
    }

    /// Waits until every enqueued message is delivered or failed; throws the first delivery
    /// failure since the last check.
    public func flush(timeoutMilliseconds: Int32 = 30_000) throws(KafkaError) {
        let result = rd_kafka_flush(client.handle, timeoutMilliseconds)
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.response(result, code: .timeout, context: "flush did not finish")
        }
        try checkDeliveries()
    }

    /// Throws the first delivery failure reported since the last check.
    public func checkDeliveries() throws(KafkaError) {
        if let failure = reports.takeFailure() { throw failure }
    }

    /// Serves delivery reports without blocking.
    public func poll() {
        client.poll(milliseconds: 0)
    }

    // MARK: Transactions

    public func initTransactions(timeoutMilliseconds: Int32 = 30_000) throws(KafkaError) {
        if let error = rd_kafka_init_transactions(client.handle, timeoutMilliseconds) {
            throw KafkaError.consuming(error, code: .transaction)
        }
    }

    public func beginTransaction() throws(KafkaError) {
        if let error = rd_kafka_begin_transaction(client.handle) {
            throw KafkaError.consuming(error, code: .transaction)
        }
    }

    /// Adds the consumer's next offsets to the open transaction (consumer-group fencing, KIP-447).
    public func sendOffsetsToTransaction(
        _ offsets: [TopicPartitionOffset], consumer: KafkaConsumer, timeoutMilliseconds: Int32 = 30_000
    ) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for offset in offsets { list.add(topic: offset.topic, partition: offset.partition, offset: offset.offset) }
        guard let metadata = rd_kafka_consumer_group_metadata(consumer.client.handle) else {
            throw KafkaError(code: .transaction, message: "consumer has no group metadata")
        }
        defer { rd_kafka_consumer_group_metadata_destroy(metadata) }
        if let error = rd_kafka_send_offsets_to_transaction(client.handle, list.pointer, metadata, timeoutMilliseconds) {
            throw KafkaError.consuming(error, code: .transaction)
        }
    }

    public func commitTransaction(timeoutMilliseconds: Int32 = 60_000) throws(KafkaError) {
        if let error = rd_kafka_commit_transaction(client.handle, timeoutMilliseconds) {
            throw KafkaError.consuming(error, code: .transaction)
        }
        try checkDeliveries()
    }

    public func abortTransaction(timeoutMilliseconds: Int32 = 60_000) throws(KafkaError) {
        if let error = rd_kafka_abort_transaction(client.handle, timeoutMilliseconds) {
            throw KafkaError.consuming(error, code: .transaction)
        }
        _ = reports.takeFailure()
    }
}

/// A topic partition and an offset (the next offset to read, when committing).
public struct TopicPartitionOffset: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// Delivery failures reported by librdkafka's threads, read by the producing thread.
final class DeliveryReports: Sendable {
    private let failure = Mutex<KafkaError?>(nil)
    private let delivered = Atomic<Int>(0)

    func record(error: rd_kafka_resp_err_t, topic: String) {
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            delivered.add(1, ordering: .relaxed)
            return
        }
        failure.withLock { current in
            if current == nil {
                current = KafkaError.response(error, code: .delivery, context: "delivery to \(topic) failed")
            }
        }
    }

    func takeFailure() -> KafkaError? {
        failure.withLock { current in
            defer { current = nil }
            return current
        }
    }
}

private let deliveryReportCallback:
    @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
        _, message, opaque in
        guard let message, let opaque else { return }
        let reports = Unmanaged<DeliveryReports>.fromOpaque(opaque).takeUnretainedValue()
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        reports.record(error: message.pointee.err, topic: topic)
    }

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

/// Adds header fields (name C string + value bytes) while keeping their storage alive.
private func withHeaders<R>(
    _ headers: [(name: String, value: [UInt8])], fields: inout [rd_kafka_vu_t], from start: Int,
    _ body: ([rd_kafka_vu_t]) -> R
) -> R {
    guard !headers.isEmpty else { return body(fields) }
    let names = headers.map { strdup($0.name)! }
    let values = headers.map { header -> UnsafeMutableRawPointer in
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(header.value.count, 1), alignment: 1)
        header.value.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { storage.copyMemory(from: base, byteCount: bytes.count) }
        }
        return storage
    }
    defer {
        names.forEach { free($0) }
        values.forEach { $0.deallocate() }
    }
    for (offset, header) in headers.enumerated() {
        fields[start + offset].vtype = RD_KAFKA_VTYPE_HEADER
        fields[start + offset].u.header.name = UnsafePointer(names[offset])
        fields[start + offset].u.header.val = UnsafeRawPointer(values[offset])
        fields[start + offset].u.header.size = header.value.count
    }
    return body(fields)
}
