import Catalog
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Webhooks

/// The daemon's webhook sender: every `interval` it delivers the due rows of the webhook
/// outbox (written by each job's gold commit) through a ``WebhookDispatcher``. On graceful
/// shutdown it makes one last pass, so events of jobs that finished during it go out.
public struct WebhookService: Service {
    let dispatcher: WebhookDispatcher
    let catalog: any Catalog
    let interval: Duration
    let logger: Logger

    public init(catalog: any Catalog, settings: WebhookSettings, interval: Duration = .milliseconds(500), logger: Logger) {
        self.dispatcher = WebhookDispatcher(catalog: catalog, settings: settings, logger: logger)
        self.catalog = catalog
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        logger.info("webhook sender started")
        let pending = Gauge(label: "vidpipe_webhooks_pending")
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await dispatcher.drain()
            if let count = try? await catalog.pendingWebhookCount() { pending.record(count) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        if !Task.isCancelled { await dispatcher.drain() }
        logger.info("webhook sender stopped")
    }
}
