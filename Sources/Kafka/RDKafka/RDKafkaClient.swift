import CRdKafka

/// Owns one `rd_kafka_t` handle. librdkafka handles are thread-safe, so the class is Sendable;
/// the handle is destroyed in `deinit`, after every object that borrowed it (queues, group
/// metadata) has been released by its owner.
package final class RDKafkaClient: @unchecked Sendable {
    package enum Kind {
        case producer, consumer
    }

    package let handle: OpaquePointer
    /// What the configuration's opaque pointer refers to (e.g. a callback's sink): released only
    /// after `rd_kafka_destroy` in `deinit`, so no callback can reach a freed object.
    private let retained: (any Sendable & AnyObject)?

    private init(handle: OpaquePointer, retained: (any Sendable & AnyObject)?) {
        self.handle = handle
        self.retained = retained
    }

    /// Builds a client; `prepare` may install callbacks on the configuration before creation.
    package static func make(
        kind: Kind, configuration: KafkaConfiguration, opaque: UnsafeMutableRawPointer? = nil,
        retaining retained: (any Sendable & AnyObject)? = nil, prepare: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) -> RDKafkaClient {
        let conf = try makeConf(configuration)
        if let opaque { rd_kafka_conf_set_opaque(conf, opaque) }
        prepare(conf)
        var errorText = [CChar](repeating: 0, count: 512)
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(code: .clientCreation, message: errorString(errorText))
        }
        return RDKafkaClient(handle: handle, retained: retained)
    }

    static func makeConf(_ configuration: KafkaConfiguration) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        rd_kafka_conf_set_log_cb(conf, rdkafkaLogCallback)
        var errorText = [CChar](repeating: 0, count: 512)
        for key in configuration.properties.keys.sorted() {
            let value = configuration.properties[key]!
            if rd_kafka_conf_set(conf, key, value, &errorText, errorText.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                // librdkafka's message names the property, never the value.
                throw KafkaError(code: .configuration, message: errorString(errorText))
            }
        }
        return conf
    }

    deinit {
        rd_kafka_destroy(handle)
    }

    /// Serves queued callbacks (delivery reports, errors) for up to `milliseconds`.
    @discardableResult
    func poll(milliseconds: Int32) -> Int32 {
        rd_kafka_poll(handle, milliseconds)
    }
}

/// An owned `rd_kafka_topic_partition_list_t`.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 8) {
        pointer = rd_kafka_topic_partition_list_new(Int32(capacity))
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(pointer)
    }

    func add(topic: String, partition: Int32, offset: Int64) {
        let element = rd_kafka_topic_partition_list_add(pointer, topic, partition)!
        element.pointee.offset = offset
    }

    var elements: [(topic: String, partition: Int32, offset: Int64)] {
        (0..<Int(pointer.pointee.cnt)).map { index in
            let element = pointer.pointee.elems[index]
            return (String(cString: element.topic), element.partition, element.offset)
        }
    }
}

/// The text of a NUL-terminated C error buffer.
func errorString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
