/// librdkafka client properties.
///
/// Everything librdkafka accepts passes through unchanged (`security.protocol`, `ssl.*`,
/// `sasl.*`, …), so TLS and SASL are configured exactly as librdkafka documents them. Secrets
/// belong in the environment (see `fromEnvironment`), never in a topology file.
public struct KafkaConfiguration: Sendable, Equatable {
    public var properties: [String: String]

    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.properties = properties
        self.properties["bootstrap.servers"] = bootstrapServers
    }

    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// Adds every `STEWARD_KAFKA_<NAME>` environment variable as property `<name>` with `_` read as
    /// `.` (so `STEWARD_KAFKA_SASL_PASSWORD` sets `sasl.password`).
    public mutating func merge(environment: [String: String]) {
        let prefix = "STEWARD_KAFKA_"
        for (name, value) in environment where name.hasPrefix(prefix) {
            let key = String(name.dropFirst(prefix.count).lowercased().map { $0 == "_" ? "." : $0 })
            properties[key] = value
        }
    }

    /// The properties with secret values hidden, for logs.
    public var redactedDescription: String {
        properties.keys.sorted().map { key in
            let secret = key.contains("password") || key.contains("secret") || key.hasSuffix(".key")
                || key.contains("sasl.oauthbearer.config")
            return "\(key)=\(secret ? "<redacted>" : properties[key]!)"
        }.joined(separator: " ")
    }
}
