import Catalog
import Execution
import Foundation
import Logging

/// How webhooks are signed, sent and retried.
public struct WebhookSettings: Sendable, Equatable {
    /// Signs every body (`VIDPIPE_WEBHOOK_SECRET`). Never logged or shown.
    public var secret: String
    /// How long after its event a delivery is still retried (`VIDPIPE_WEBHOOK_RETRY_HOURS`,
    /// default 24 h); a retry that would fall later is not made and the delivery is given up.
    public var retryWindow: Duration
    /// Wait after the first failed attempt, doubling, at most an hour
    /// (`VIDPIPE_WEBHOOK_BACKOFF_SECONDS`, default 10 s).
    public var backoff: BackoffPolicy
    /// Longest one attempt may take (`VIDPIPE_WEBHOOK_TIMEOUT_SECONDS`, default 10 s).
    public var timeout: Duration
    /// Deliveries claimed and sent at once. Default 8.
    public var batchSize = 8

    public init(secret: String, retryWindow: Duration = .seconds(24 * 3600), backoff: BackoffPolicy = Self.defaultBackoff,
                timeout: Duration = .seconds(10)) {
        self.secret = secret
        self.retryWindow = retryWindow
        self.backoff = backoff
        self.timeout = timeout
    }

    public static let defaultBackoff = BackoffPolicy(initial: .seconds(10), maximum: .seconds(3600))

    /// How long a claimed delivery stays hidden from other senders: one attempt's timeout and
    /// a margin. A sender killed mid-attempt leaves it due again this soon after.
    var claimLease: Duration { timeout + .seconds(5) }
}

extension WebhookSettings {
    /// Delivered on a 2xx; retried on no response, 429 and 5xx while the next attempt still
    /// falls inside the retry window; given up otherwise.
    func verdict(for response: WebhookResponse, attempt: Int, createdAt: Date, now: Date = Date()) -> WebhookAttemptVerdict {
        if response.isDelivered { return .delivered }
        guard response.isRetryable else { return .gaveUp }
        let retryAt = now.addingTimeInterval(backoff.delay(afterAttempt: attempt).seconds)
        return retryAt <= createdAt.addingTimeInterval(retryWindow.seconds) ? .retry(at: retryAt) : .gaveUp
    }
}

extension WebhookSettings: CustomStringConvertible {
    /// For logs: everything but the secret.
    public var description: String {
        "retry window \(Int(retryWindow.seconds)) s, backoff from \(backoff.initial.seconds) s, timeout \(timeout.seconds) s"
    }
}

/// Sends the catalog's due webhook deliveries (the outbox the gold commit writes) and
/// records every attempt: the one sender, used by the daemon's webhook service and, once
/// after its jobs, by `vidpipe process`.
///
/// Each pass claims what it sends (a lease in the catalog), so senders sharing a catalog
/// never send one delivery at once. Delivery is at least once: a sender that dies after the
/// endpoint took an event but before recording it sends the same bytes (same `event_id`)
/// again when the lease ends.
public struct WebhookDispatcher: Sendable {
    let catalog: any Catalog
    let settings: WebhookSettings
    let poster: WebhookPoster
    let logger: Logger

    public init(catalog: any Catalog, settings: WebhookSettings, logger: Logger) {
        self.catalog = catalog
        self.settings = settings
        self.poster = WebhookPoster(timeout: settings.timeout)
        self.logger = logger
    }

    /// Tries every delivery due now once, a batch at a time; returns how many were delivered.
    @discardableResult
    public func drain() async -> Int {
        var delivered = 0
        while !Task.isCancelled {
            let claimed: [WebhookDeliveryRecord]
            do {
                let now = Date()
                claimed = try await catalog.claimWebhookDeliveries(
                    dueBy: now, limit: settings.batchSize, leaseUntil: now.addingTimeInterval(settings.claimLease.seconds))
            } catch {
                logger.warning("cannot claim pending webhooks", metadata: ["error": "\(error)"])
                return delivered
            }
            // Claimed rows stay hidden until recorded or leased out, so this loop ends.
            guard !claimed.isEmpty else { return delivered }
            delivered += await withTaskGroup(of: Bool.self) { group in
                for delivery in claimed { group.addTask { await send(delivery) } }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        return delivered
    }

    /// One attempt: sign with a fresh timestamp, POST, record what came back.
    private func send(_ delivery: WebhookDeliveryRecord) async -> Bool {
        var logger = logger
        logger[metadataKey: "event_id"] = "\(delivery.eventID)"
        logger[metadataKey: "event"] = "\(delivery.eventType)"
        logger[metadataKey: "endpoint"] = "\(WebhookEndpoint(delivery.url))"
        let body = Array(delivery.body.utf8)
        let attemptedAt = Date()
        let signature = WebhookSignature(body: body, secret: settings.secret, timestamp: Int64(attemptedAt.timeIntervalSince1970))
        let response = await poster.post(body, to: delivery.url, headers: [
            "\(WebhookSignature.header): \(signature)", "vidpipe-event-id: \(delivery.eventID)", "vidpipe-event: \(delivery.eventType)",
        ])
        guard !Task.isCancelled || response.isDelivered else { return false }  // cut short: due again after the lease
        let attempt = delivery.attempts + 1
        let verdict = settings.verdict(for: response, attempt: attempt, createdAt: delivery.createdAt)
        let record = WebhookAttemptRecord(deliveryID: delivery.id, attempt: attempt, attemptedAt: attemptedAt, status: response.status,
                                          latencyMilliseconds: response.latency.milliseconds, error: response.error)
        switch verdict {
        case .delivered:
            logger.info("webhook delivered", metadata: ["status": "\(response.status ?? 0)", "attempt": "\(attempt)"])
        case .retry(let at):
            logger.warning("webhook not delivered; will retry", metadata: [
                "error": "\(response.error ?? "")", "attempt": "\(attempt)", "retry_in_seconds": "\(Int(at.timeIntervalSinceNow.rounded(.up)))",
            ])
        case .gaveUp:
            logger.error("webhook given up", metadata: ["error": "\(response.error ?? "")", "attempt": "\(attempt)"])
        }
        // Recorded with a few quick retries (a restarting database is back within seconds).
        // Left unrecorded, the delivery is due again when its lease ends: sent twice, same event id.
        let pause = BackoffPolicy(initial: .milliseconds(250), maximum: .seconds(2))
        for round in 1...5 {
            do {
                try await catalog.recordWebhookAttempt(record, verdict: verdict)
                return verdict == .delivered
            } catch {
                guard round < 5, (try? await Task.sleep(for: pause.delay(afterAttempt: round))) != nil else {
                    logger.warning("webhook attempt not recorded", metadata: ["error": "\(error)"])
                    return false
                }
            }
        }
        return false
    }
}
