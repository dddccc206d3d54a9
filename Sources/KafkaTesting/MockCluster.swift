import Kafka
import CRdKafka

/// librdkafka's mock cluster: a real Kafka-protocol cluster on loopback ports, in this process.
///
/// Known limits (librdkafka 2.0.2): about 5 MiB kept per partition, CreateTopics unsupported
/// (use `createTopic`), transaction markers and transactional offsets not stored.
public final class MockCluster: @unchecked Sendable {
    /// The client whose handle hosts the cluster; destroyed after the cluster (deinit order).
    private let host: RDKafkaClient
    private let cluster: OpaquePointer
    /// `host:port,…` for clients.
    public let bootstrapServers: String

    public init(brokers: Int = 1) throws(KafkaError) {
        var configuration = KafkaConfiguration(bootstrapServers: "")
        configuration.properties.removeValue(forKey: "bootstrap.servers")
        configuration["log_level"] = "3"
        host = try RDKafkaClient.make(kind: .producer, configuration: configuration)
        guard let cluster = rd_kafka_mock_cluster_new(host.handle, Int32(brokers)) else {
            throw KafkaError(code: .mockCluster, message: "could not start the mock cluster")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let result = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        if result != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.response(result, code: .mockCluster, context: "create topic \(name)")
        }
    }
}
