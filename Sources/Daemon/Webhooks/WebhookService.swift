import Catalog
import Foundation
import Logging
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
        await OutboxLoop(
            name: "webhook sender", pendingGauge: "vidpipe_webhooks_pending", interval: interval, logger: logger,
            drain: { await self.dispatcher.drain() }, pendingCount: { try await self.catalog.pendingWebhookCount() }
        ).run()
    }
}
