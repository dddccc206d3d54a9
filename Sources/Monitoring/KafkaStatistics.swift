import JSON

/// The parts of librdkafka's statistics JSON (`statistics.interval.ms`) that Steward exposes.
public enum KafkaStatistics {
    public struct PartitionLag: Sendable, Equatable {
        public var topic: String
        public var partition: Int32
        public var lag: Int64

        public init(topic: String, partition: Int32, lag: Int64) {
            self.topic = topic
            self.partition = partition
            self.lag = lag
        }
    }

    /// Consumer lag of every partition this client fetches: `topics.<t>.partitions.<p>.consumer_lag`.
    /// librdkafka reports -1 while the lag is unknown and lists an internal partition -1 (the
    /// unassigned queue); both are left out.
    public static func consumerLag(_ json: [UInt8]) -> [PartitionLag] {
        guard let root = try? JSONParser.parse(json), case .object(let topics)? = root["topics"] else { return [] }
        var lags: [PartitionLag] = []
        for (topic, body) in topics {
            guard case .object(let partitions)? = body["partitions"] else { continue }
            for (key, stats) in partitions {
                guard let partition = Int32(key), partition >= 0,
                    let lag = stats["consumer_lag"]?.doubleValue, lag >= 0
                else { continue }
                lags.append(PartitionLag(topic: topic, partition: partition, lag: Int64(lag)))
            }
        }
        return lags.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }
}
