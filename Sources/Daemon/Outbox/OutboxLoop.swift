import Logging
import Metrics
import ServiceLifecycle

/// The loop of a sender that drains an outbox of the catalog (the notifier's mail, the
/// webhook sender's deliveries): every `interval` it delivers what is due and records how
/// much is still pending; on graceful shutdown it makes one last pass, then returns.
struct OutboxLoop: Sendable {
    /// Names the sender in its log lines.
    let name: String
    /// The gauge of the outbox's pending rows.
    let pendingGauge: String
    let interval: Duration
    let logger: Logger
    /// Delivers every row due now.
    let drain: @Sendable () async -> Void
    /// The rows not yet delivered (due now or waiting for a retry).
    let pendingCount: @Sendable () async throws -> Int

    func run() async {
        logger.info("\(name) started")
        let pending = Gauge(label: pendingGauge)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await drain()
            // Left unchanged while the catalog does not answer: /ready says why.
            if let count = try? await pendingCount() { pending.record(count) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        // Jobs that finished during shutdown committed their rows just before.
        if !Task.isCancelled { await drain() }
        logger.info("\(name) stopped")
    }
}
