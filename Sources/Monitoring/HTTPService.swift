import Hummingbird
import Logging
import NIOCore
import Prometheus
import Runtime
import ServiceLifecycle

/// The HTTP side of `steward run` and `steward demo`, one service in the same ServiceGroup as the
/// pipeline (started first, so `/health` stays up while the pipeline drains):
///
/// - `GET /health`: 200 while the process serves;
/// - `GET /ready`: 200 once every topology is ready (`Readiness`), else 503 with what it waits for;
/// - `GET /metrics`: the Prometheus text exposition;
/// - `GET /`: the status page.
public struct HTTPService: Service {
    public struct Options: Sendable {
        public var host: String
        public var port: Int

        public init(host: String = "0.0.0.0", port: Int = 9464) {
            self.host = host
            self.port = port
        }
    }

    let options: Options
    let registry: PrometheusCollectorRegistry
    let topologies: [PipelineMetrics]
    let logger: Logger
    let onRunning: @Sendable (Int) -> Void

    /// `onRunning` receives the bound port (useful with port 0, which picks a free one).
    public init(
        options: Options, registry: PrometheusCollectorRegistry, topologies: [PipelineMetrics], logger: Logger,
        onRunning: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.options = options
        self.registry = registry
        self.topologies = topologies
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let onRunning = onRunning
        let logger = logger
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "steward"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("http service listening", metadata: ["port": "\(port)"])
                onRunning(port)
            },
            logger: logger)
        try await app.run()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        let registry = registry
        let topologies = topologies
        router.get("health") { _, _ in
            Self.response(.ok, "ok\n", contentType: "text/plain; charset=utf-8")
        }
        router.get("ready") { _, _ in
            let waiting = topologies.flatMap { metrics in metrics.readiness.pending.map { "\(metrics.topology): \($0)" } }
            if waiting.isEmpty { return Self.response(.ok, "ready\n", contentType: "text/plain; charset=utf-8") }
            return Self.response(
                .serviceUnavailable, "not ready: waiting for " + waiting.joined(separator: ", ") + "\n",
                contentType: "text/plain; charset=utf-8")
        }
        router.get("metrics") { _, _ in
            for metrics in topologies { metrics.refresh() }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/") { _, _ in
            Self.response(
                .ok, StatusPage.render(topologies.map { $0.snapshot() }), contentType: "text/html; charset=utf-8")
        }
        return router
    }

    static func response(_ status: HTTPResponse.Status, _ text: String, contentType: String) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
