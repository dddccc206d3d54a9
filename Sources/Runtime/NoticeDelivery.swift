import Pipeline
import ServiceLifecycle

/// Delivers the typed notices that stages attach to outputs (alert transitions), once their batch is
/// committed, off the processing thread: `enqueue` never blocks the pipeline, and a `Service` posts
/// them in order. Graceful shutdown delivers what is queued, then returns.
public struct NoticeDelivery: Service {
    /// Posts one committed batch's notices; errors are the closure's to log or count.
    public typealias Deliver = @Sendable ([any Sendable]) async -> Void

    private let stream: AsyncStream<[any Sendable]>
    private let continuation: AsyncStream<[any Sendable]>.Continuation
    private let deliver: Deliver

    /// `capacity` bounds the batches waiting; past it the newest are dropped (and counted by the
    /// caller through `enqueue`'s result) rather than slowing the pipeline.
    public init(capacity: Int = 1024, deliver: @escaping Deliver) {
        (stream, continuation) = AsyncStream.makeStream(of: [any Sendable].self, bufferingPolicy: .bufferingOldest(capacity))
        self.deliver = deliver
    }

    /// Queues the notices of committed outputs; returns false when the queue was full.
    @discardableResult
    public func enqueue(_ outputs: [OutputMessage]) -> Bool {
        let notices = outputs.compactMap(\.notice)
        guard !notices.isEmpty else { return true }
        if case .dropped = continuation.yield(notices) { return false }
        return true
    }

    public func run() async throws {
        let continuation = self.continuation
        await withGracefulShutdownHandler {
            for await notices in stream {
                await deliver(notices)
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
    }
}
