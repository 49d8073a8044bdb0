import Catalog
import Execution
import Foundation
import Logging
import Metrics

/// How webhooks are signed, sent and retried.
public struct WebhookSettings: Sendable, Equatable {
    /// Signs every body (`VIDPIPE_WEBHOOK_SECRET`). Never logged or shown.
    public var secret: String
    /// The URLs configured now (`VIDPIPE_WEBHOOK_URLS`). A pending delivery to any other URL
    /// (its endpoint was removed since its event) is given up unsent.
    public var endpoints: Set<String>
    /// How long after its event a delivery is still retried (`VIDPIPE_WEBHOOK_RETRY_HOURS`,
    /// default 24 h); a retry that would fall later is not made and the delivery is given up.
    public var retryWindow: Duration
    /// Wait after the first failed attempt, doubling, at most an hour
    /// (`VIDPIPE_WEBHOOK_BACKOFF_SECONDS`, default 10 s).
    public var backoff: BackoffPolicy
    /// Longest one attempt may take (`VIDPIPE_WEBHOOK_TIMEOUT_SECONDS`, default 10 s).
    public var timeout: Duration
    /// PEM certificates trusted for https instead of the system's (`VIDPIPE_WEBHOOK_CA_FILE`).
    public var caFile: String?
    /// Deliveries claimed and sent at once. Default 8.
    public var batchSize = 8

    public init(secret: String, endpoints: [WebhookEndpoint], retryWindow: Duration = .seconds(24 * 3600),
                backoff: BackoffPolicy = Self.defaultBackoff, timeout: Duration = .seconds(10), caFile: String? = nil) {
        self.secret = secret
        self.endpoints = Set(endpoints.map(\.url))
        self.retryWindow = retryWindow
        self.backoff = backoff
        self.timeout = timeout
        self.caFile = caFile
    }

    /// The recorded reason of a delivery given up because its endpoint was removed.
    public static let endpointRemovedReason = "endpoint no longer in VIDPIPE_WEBHOOK_URLS"

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
        "\(endpoints.count) endpoints, retry window \(Int(retryWindow.seconds)) s, backoff from \(backoff.initial.seconds) s, timeout \(timeout.seconds) s"
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
        self.poster = WebhookPoster(timeout: settings.timeout, caFile: settings.caFile)
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

    /// Drains, then drains again as retries come due until none is pending or `wait` has
    /// passed (zero: one pass); returns how many are still pending (nil: the count failed).
    public func drain(retryingFor wait: Duration) async -> Int? {
        let deadline = ContinuousClock.now + wait
        while true {
            await drain()
            let pending = try? await catalog.pendingWebhookCount()
            guard pending ?? 0 > 0, ContinuousClock.now < deadline,
                  (try? await Task.sleep(for: min(Self.retryPoll, deadline - .now))) != nil else { return pending }
        }
    }

    /// How often ``drain(retryingFor:)`` looks for retries that came due.
    static let retryPoll = Duration.milliseconds(200)

    /// One attempt: sign with a fresh timestamp, POST, record what came back.
    private func send(_ delivery: WebhookDeliveryRecord) async -> Bool {
        var logger = logger
        logger[metadataKey: "event_id"] = "\(delivery.eventID)"
        logger[metadataKey: "event"] = "\(delivery.eventType)"
        logger[metadataKey: "endpoint"] = "\(WebhookEndpoint(delivery.url))"
        guard settings.endpoints.contains(delivery.url) else { return await giveUpUnsent(delivery, logger: logger) }
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
            // Retryable yet given up: the next attempt would have fallen outside the retry window.
            let reason = response.isRetryable ? "retry_window" : "refused"
            logger.error("webhook given up", metadata: ["error": "\(response.error ?? "")", "attempt": "\(attempt)", "reason": "\(reason)"])
            Self.countGivenUp(reason: reason)
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

    /// Gives up a delivery whose endpoint is no longer configured, without sending it: users
    /// remove an endpoint to stop its traffic. Recorded with the reason, no attempt row.
    /// (Daemons sharing a catalog must therefore share one list: one with an older list
    /// gives up deliveries to an endpoint added since.)
    private func giveUpUnsent(_ delivery: WebhookDeliveryRecord, logger: Logger) async -> Bool {
        do {
            try await catalog.giveUpWebhookDelivery(id: delivery.id, reason: WebhookSettings.endpointRemovedReason)
            logger.warning("webhook given up unsent", metadata: ["reason": "\(WebhookSettings.endpointRemovedReason)"])
            Self.countGivenUp(reason: "endpoint_removed")
        } catch {
            logger.warning("webhook give-up not recorded; due again when its lease ends", metadata: ["error": "\(error)"])
        }
        return false
    }

    /// `vidpipe_webhooks_given_up_total{reason}`: refused (a 4xx or 3xx), retry_window (still
    /// failing when the window ran out), endpoint_removed.
    private static func countGivenUp(reason: String) {
        Counter(label: "vidpipe_webhooks_given_up_total", dimensions: [("reason", reason)]).increment()
    }
}
