import CRdKafka

/// Topic administration against a real cluster (CreateTopics).
public enum KafkaAdmin {
    /// Creates topics that do not exist yet; existing topics are left as they are.
    /// Blocking: call from a dedicated thread.
    public static func createTopics(
        _ names: [String], partitions: Int, replicationFactor: Int = 1, topicConfiguration: [String: String] = [:],
        configuration: KafkaConfiguration, timeoutMilliseconds: Int32 = 15_000
    ) throws(KafkaError) {
        guard !names.isEmpty else { return }
        let client = try RDKafkaClient.make(kind: .producer, configuration: configuration)
        var errorText = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for name in names {
            guard let topic = rd_kafka_NewTopic_new(name, Int32(partitions), Int32(replicationFactor), &errorText, 512) else {
                throw KafkaError(code: .admin, message: errorString(errorText))
            }
            for (key, value) in topicConfiguration.sorted(by: { $0.key < $1.key }) {
                let result = rd_kafka_NewTopic_set_config(topic, key, value)
                if result != RD_KAFKA_RESP_ERR_NO_ERROR {
                    rd_kafka_NewTopic_destroy(topic)
                    throw KafkaError.response(result, code: .admin, context: "topic setting \(key)")
                }
            }
            newTopics.append(topic)
        }
        let queue = rd_kafka_queue_new(client.handle)
        defer { rd_kafka_queue_destroy(queue) }
        newTopics.withUnsafeMutableBufferPointer { buffer in
            rd_kafka_CreateTopics(client.handle, buffer.baseAddress, buffer.count, nil, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, timeoutMilliseconds + 1000) else {
            throw KafkaError(code: .timeout, message: "CreateTopics got no answer")
        }
        defer { rd_kafka_event_destroy(event) }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: .admin, message: String(cString: rd_kafka_event_error_string(event)))
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { return }
        var count = 0
        guard let topics = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for index in 0..<count {
            let topic = topics[index]
            let error = rd_kafka_topic_result_error(topic)
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                let name = String(cString: rd_kafka_topic_result_name(topic))
                throw KafkaError.response(error, code: .admin, context: "create topic \(name)")
            }
        }
    }
}
