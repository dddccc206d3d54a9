import AsyncHTTPClient
import Fairness
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Pipeline
import ServiceLifecycle
import Synchronization

/// Posts committed alert transitions to Alertmanager (API v2) or PagerDuty (Events v2), off the
/// pipeline thread, through async-http-client.
///
/// - `enqueue` never blocks: batches wait in a bounded queue; a batch that does not fit is dropped,
///   counted and logged.
/// - Each post has a timeout and is retried with exponential backoff on connection errors, 5xx and
///   429; other 4xx answers are not retried. Failures are counted and logged.
/// - Alertmanager expires a firing alert after its `resolve_timeout` unless it is sent again, so
///   every firing alert is posted again each `resend_interval` with `endsAt` three intervals ahead,
///   until Steward resolves it. PagerDuty keeps incidents open by dedup key; nothing is re-sent there.
/// - Graceful shutdown delivers what is queued, then returns.
public final class AlertDelivery: Service, Sendable {
    public struct Options: Sendable {
        public var requestTimeout: Duration = .seconds(10)
        public var attempts = 5
        public var firstBackoff: Duration = .milliseconds(250)
        public var queueCapacity = 1024
        /// PagerDuty's routing key (a secret: from the environment, never the topology).
        public var pagerDutyRoutingKey: String?

        public init(pagerDutyRoutingKey: String? = nil) {
            self.pagerDutyRoutingKey = pagerDutyRoutingKey
        }
    }

    enum Item: Sendable {
        case transitions([AlertEvent])
        case resend
    }

    public let spec: WebhookSpec
    let endpoint: String
    let options: Options
    let logger: Logger
    private let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let counts = Mutex(Counts())

    /// What delivery has done, for metrics.
    public struct Counts: Sendable, Equatable {
        public var posted = 0
        public var failed = 0
        public var dropped = 0
        public var firing = 0
    }

    public var delivered: Counts { counts.withLock { $0 } }

    public init(spec: WebhookSpec, options: Options = Options(), logger: Logger) throws {
        let base = spec.url.hasSuffix("/") ? String(spec.url.dropLast()) : spec.url
        let address = spec.kind == .alertmanager ? base + "/api/v2/alerts" : base
        guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw RuntimeError("webhook url '\(spec.url)' is not an http(s) URL")
        }
        if spec.kind == .pagerduty && (options.pagerDutyRoutingKey ?? "").isEmpty {
            throw RuntimeError("set STEWARD_PAGERDUTY_ROUTING_KEY to post to PagerDuty")
        }
        self.spec = spec
        self.endpoint = address
        self.options = options
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(options.queueCapacity))
    }

    /// Queues the alert transitions among committed outputs (their typed notices).
    public func enqueue(_ outputs: [OutputMessage]) {
        let events = outputs.compactMap { $0.notice as? AlertEvent }
        guard !events.isEmpty else { return }
        if case .dropped = continuation.yield(.transitions(events)) {
            counts.withLock { $0.dropped += events.count }
            logger.error("alert delivery queue full: transitions dropped", metadata: ["count": "\(events.count)"])
        }
    }

    public func run() async throws {
        let continuation = self.continuation
        let interval = Duration.milliseconds(spec.resendInterval.milliseconds)
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield(.resend)
            }
        }
        defer { ticker.cancel() }
        var firing: [String: AlertEvent] = [:]
        await withGracefulShutdownHandler {
            for await item in stream {
                switch item {
                case .transitions(let events):
                    for event in events {
                        if event.status == .firing { firing[event.dedupKey] = event } else { firing[event.dedupKey] = nil }
                    }
                    counts.withLock { $0.firing = firing.count }
                    await post(events)
                case .resend:
                    guard spec.kind == .alertmanager, !firing.isEmpty else { continue }
                    await post(firing.keys.sorted().compactMap { firing[$0] })
                }
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }

    /// Posts transitions now (one request for Alertmanager, one per event for PagerDuty), retrying as
    /// described above. Firing alerts to Alertmanager carry `endsAt` three resend intervals ahead.
    public func post(_ events: [AlertEvent]) async {
        guard !events.isEmpty else { return }
        do {
            switch spec.kind {
            case .alertmanager:
                let lease = 3 * spec.resendInterval.milliseconds
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                let leased = events.map { event in
                    var event = event
                    if event.status == .firing { event.endsAt = now + lease }
                    return event
                }
                try await send(AlertPayloads.alertmanager(leased, generatorURL: nil), count: events.count)
            case .pagerduty:
                for event in events {
                    try await send(
                        AlertPayloads.pagerDuty(event, routingKey: options.pagerDutyRoutingKey ?? ""), count: 1)
                }
            }
        } catch {
            logger.error("alert payload could not be built", metadata: ["error": "\(error)"])
        }
    }

    private func send(_ body: Data, count: Int) async {
        var lastError = ""
        var backoff = options.firstBackoff
        for attempt in 1...max(1, options.attempts) {
            if attempt > 1 {
                try? await Task.sleep(for: backoff)
                backoff *= 2
            }
            do {
                var request = HTTPClientRequest(url: endpoint)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
                let (seconds, attoseconds) = options.requestTimeout.components
                let timeout = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
                let response = try await HTTPClient.shared.execute(request, timeout: timeout)
                let answer = try await response.body.collect(upTo: 64 * 1024)
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    counts.withLock { $0.posted += count }
                    return
                }
                lastError = "HTTP \(status): \(String(buffer: answer).prefix(300))"
                if status < 500 && status != 429 { break }
            } catch {
                lastError = "\(error)"
            }
        }
        counts.withLock { $0.failed += count }
        logger.error(
            "alert delivery failed", metadata: ["endpoint": "\(endpoint)", "alerts": "\(count)", "error": "\(lastError)"])
    }
}
