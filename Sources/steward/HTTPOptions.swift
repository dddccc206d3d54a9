import ArgumentParser
import Foundation
import Logging
import Monitoring
import Prometheus
import Runtime
import ServiceLifecycle

/// `--http-port` and `--http-host`: where `steward run` and `steward demo` serve `/health`,
/// `/ready`, `/metrics` and the status page.
struct HTTPOptions: ParsableArguments {
    @Option(
        help: """
            Port for /health, /ready, /metrics and the status page (0 turns HTTP off; default: \
            STEWARD_HTTP_PORT, else 9464).
            """)
    var httpPort: Int?

    @Option(help: "Address the HTTP service binds (default: STEWARD_HTTP_HOST, else 0.0.0.0).")
    var httpHost: String?

    static let defaultPort = 9464

    /// The port to serve on, or nil when HTTP is off.
    func port(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int? {
        let port: Int
        if let httpPort {
            port = httpPort
        } else if let text = environment["STEWARD_HTTP_PORT"], !text.isEmpty {
            guard let value = Int(text) else { throw ValidationError("STEWARD_HTTP_PORT must be a port number, got '\(text)'") }
            port = value
        } else {
            port = Self.defaultPort
        }
        guard (0...65535).contains(port) else { throw ValidationError("--http-port must be in 0...65535 (0 turns HTTP off)") }
        return port == 0 ? nil : port
    }

    func host(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        httpHost ?? environment["STEWARD_HTTP_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
    }
}

/// The metrics registry and the HTTP service of one process, when HTTP is on.
struct Operations {
    let registry = PrometheusCollectorRegistry()
    let options: HTTPService.Options
    let logger: Logger

    var factory: DocumentedPrometheusFactory { DocumentedPrometheusFactory(registry: registry) }

    func service(for topologies: [PipelineMetrics]) -> ServiceGroupConfiguration.ServiceConfiguration {
        .init(service: HTTPService(options: options, registry: registry, topologies: topologies, logger: logger))
    }
}
