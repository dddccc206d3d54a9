import Testing

@testable import Kafka

/// No value of a secret-bearing librdkafka property ever reaches a log line.
@Suite struct SecretProperties {
    static let secrets = [
        "sasl.password", "ssl.key.password", "ssl.key.pem", "ssl.keystore.password", "ssl.keystore.location",
        "ssl.certificate.pem", "ssl_key", "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.client.id", "sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.extensions",
        "ssl.engine.id.key", "custom.pem", "my.token", "ssl.keystore.pem.secret",
    ]

    @Test func everySecretPropertyIsRedacted() {
        var configuration = KafkaConfiguration(bootstrapServers: "127.0.0.1:9092")
        for (index, key) in Self.secrets.enumerated() { configuration[key] = "VALUE-\(index)-MUST-NOT-LEAK" }
        let logged = configuration.redactedDescription
        #expect(!logged.contains("MUST-NOT-LEAK"), "\(logged)")
        for key in Self.secrets { #expect(logged.contains("\(key)=<redacted>"), "\(key)") }
    }

    @Test func ordinaryPropertiesStayReadable() {
        var configuration = KafkaConfiguration(bootstrapServers: "127.0.0.1:9092")
        configuration["session.timeout.ms"] = "6000"
        configuration["security.protocol"] = "SASL_SSL"
        let logged = configuration.redactedDescription
        #expect(logged.contains("session.timeout.ms=6000") && logged.contains("security.protocol=SASL_SSL"))
        #expect(logged.contains("bootstrap.servers=127.0.0.1:9092"))
    }
}
