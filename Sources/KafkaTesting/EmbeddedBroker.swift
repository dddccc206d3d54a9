import Kafka
import ServiceLifecycle

/// `steward broker` as a Service: hosts the mock cluster and its bootstrap relay from `run()` until
/// the service group shuts down, then releases both (relay first, then the cluster).
public struct EmbeddedBroker: Service {
    public struct Options: Sendable {
        public var port: UInt16
        public var brokers: Int
        public var partitions: Int
        public var topics: [String]

        public init(port: UInt16 = 9092, brokers: Int = 1, partitions: Int = 16, topics: [String] = []) {
            self.port = port
            self.brokers = brokers
            self.partitions = partitions
            self.topics = topics
        }
    }

    /// What a started broker tells its caller: the relay's address and the cluster's own brokers.
    public struct Started: Sendable {
        public var bootstrap: String
        public var clusterBrokers: String
    }

    let options: Options
    let onStarted: @Sendable (Started) -> Void

    public init(options: Options, onStarted: @escaping @Sendable (Started) -> Void) {
        self.options = options
        self.onStarted = onStarted
    }

    public func run() async throws {
        let cluster = try MockCluster(brokers: options.brokers)
        for topic in options.topics {
            try cluster.createTopic(topic, partitions: options.partitions)
        }
        let firstBroker = cluster.bootstrapServers.split(separator: ",").first.map(String.init) ?? ""
        guard let targetPort = firstBroker.split(separator: ":").last.flatMap({ UInt16($0) }) else {
            throw RelayError("unexpected mock bootstrap address \(cluster.bootstrapServers)")
        }
        let forwarder = try BootstrapForwarder(port: options.port, targetPort: targetPort)
        onStarted(Started(bootstrap: "127.0.0.1:\(forwarder.port)", clusterBrokers: cluster.bootstrapServers))
        // Serve until the group shuts down (SIGTERM/SIGINT); cancellation ends the wait as well.
        try? await gracefulShutdown()
        withExtendedLifetime((cluster, forwarder)) {}
    }
}
