import Fairness
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Posts alert transitions to Alertmanager (API v2) or PagerDuty (Events v2).
///
/// This build only posts to loopback addresses (127.0.0.0/8, localhost, ::1): the sink is exercised against a
/// local Alertmanager; remote delivery is left to the deployment's own relay.
struct FairnessWebhook {
    struct WebhookError: Error, CustomStringConvertible {
        var description: String
    }

    let spec: WebhookSpec
    let endpoint: URL

    init(spec: WebhookSpec) throws {
        self.spec = spec
        let base = spec.url.hasSuffix("/") ? String(spec.url.dropLast()) : spec.url
        let address = spec.kind == .alertmanager ? base + "/api/v2/alerts" : base
        guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https", let host = url.host else {
            throw WebhookError(description: "webhook url '\(spec.url)' is not an http(s) URL")
        }
        guard host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]" else {
            throw WebhookError(
                description: "webhook host '\(host)' is not a loopback address; this build posts to loopback only")
        }
        endpoint = url
    }

    /// Posts the transitions: one request for Alertmanager, one per event for PagerDuty.
    func post(_ events: [AlertEvent]) async throws {
        guard !events.isEmpty else { return }
        switch spec.kind {
        case .alertmanager:
            try await send(AlertPayloads.alertmanager(events, generatorURL: nil))
        case .pagerduty:
            guard let key = ProcessInfo.processInfo.environment["STEWARD_PAGERDUTY_ROUTING_KEY"], !key.isEmpty else {
                throw WebhookError(description: "set STEWARD_PAGERDUTY_ROUTING_KEY to post to PagerDuty")
            }
            for event in events { try await send(AlertPayloads.pagerDuty(event, routingKey: key)) }
        }
    }

    private func send(_ body: Data) async throws {
        var request = URLRequest(url: endpoint)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        var lastError = ""
        for attempt in 0..<3 {
            if attempt > 0 { try await Task.sleep(nanoseconds: UInt64(200_000_000 << attempt)) }
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) { return }
                lastError = "HTTP \(status): \(String(decoding: data.prefix(300), as: UTF8.self))"
                if status < 500 && status != 429 { break }
            } catch {
                lastError = "\(error)"
            }
        }
        throw WebhookError(description: "posting alerts to \(endpoint.absoluteString) failed: \(lastError)")
    }
}
