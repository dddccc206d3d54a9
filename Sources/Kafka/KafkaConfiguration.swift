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
            "\(key)=\(Self.isSecret(key) ? "<redacted>" : properties[key]!)"
        }.joined(separator: " ")
    }

    /// Whether a property's value may be a secret and must never be logged: anything naming a
    /// password, secret, key (`ssl.key.pem`, `ssl.keystore.*`, `*.key`), PEM material, a token, or
    /// any `sasl.oauthbearer.*` setting. Errs on the side of hiding.
    public static func isSecret(_ property: String) -> Bool {
        let name = property.lowercased()
        if name.hasPrefix("sasl.oauthbearer.") { return true }
        return ["password", "secret", "key", "pem", "token", "credential"].contains { name.contains($0) }
    }
}
