import Catalog
import Execution
import Foundation
import Ingest
import Logging
import Notifications
import ServiceLifecycle

/// The daemon's only mail sender: delivers the catalog's pending notifications (the
/// transactional outbox written by each job's gold commit) and marks them sent.
///
/// Each pass claims the notifications it sends (a lease in the catalog), so daemons that
/// share a catalog never send the same mail. A failed delivery stays pending and is tried
/// again after an exponential backoff (``Options/retryBackoff``), so mail waits out an SMTP outage and goes out once it is back.
/// Message-IDs are stable per request and kind, so a transport that can tell (the outbox)
/// never delivers twice.
/// On graceful shutdown it makes one last pass, then returns.
public struct NotifierService: Service {
    /// How often and how much the notifier sends.
    public struct Options: Sendable {
        /// Pause between passes over the outbox. Default 0.5 s.
        public var interval: Duration = .milliseconds(500)
        /// Notifications taken per pass. Default 50.
        public var batchSize = 50
        /// Wait between delivery attempts of one mail: 5 s after the first failure,
        /// doubling, at most 5 min.
        public var retryBackoff = BackoffPolicy(initial: .seconds(5), maximum: .seconds(300))
        /// How long a claimed notification stays hidden from other notifiers: longer than
        /// a batch takes to send. If this notifier stops first, another sends it after.
        /// Default 2 min.
        public var claimLease: Duration = .seconds(120)

        /// The defaults above.
        public init() {}
    }

    let catalog: any Catalog
    let mailer: any MailTransport
    let defaultSender: String
    let options: Options
    let logger: Logger

    public init(catalog: any Catalog, mailer: any MailTransport, defaultSender: String, options: Options = Options(), logger: Logger) {
        self.catalog = catalog
        self.mailer = mailer
        self.defaultSender = defaultSender
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        await OutboxLoop(
            name: "notifier", pendingGauge: "vidpipe_notifications_pending", interval: options.interval, logger: logger,
            drain: { await self.drain() }, pendingCount: { try await self.catalog.pendingNotificationCount() }
        ).run()
    }

    /// Sends every notification due now, in batches; returns how many were delivered.
    @discardableResult
    public func drain() async -> Int {
        var delivered = 0
        while !Task.isCancelled {
            let claimed: [NotificationRecord]
            do {
                let now = Date()
                claimed = try await catalog.claimNotifications(
                    dueBy: now, limit: options.batchSize, leaseUntil: now.addingTimeInterval(options.claimLease.seconds))
            } catch {
                logger.warning("cannot claim pending notifications", metadata: [LogKeys.error: "\(error)"])
                return delivered
            }
            // Claimed rows stay hidden until marked or leased out, so this loop ends.
            guard !claimed.isEmpty else { return delivered }
            for notification in claimed where await send(notification) {
                delivered += 1
            }
        }
        return delivered
    }

    private func send(_ notification: NotificationRecord) async -> Bool {
        var logger = logger
        logger[metadataKey: LogKeys.job] = "\(notification.jobID)"
        logger[metadataKey: LogKeys.messageID] = "\(notification.id)"
        guard let message = notification.message else {
            logger.error("notification has no rendered message; cannot send it")
            try? await catalog.markNotificationFailed(id: notification.id, error: "no rendered message stored",
                                                      retryAt: Date().addingTimeInterval(backoff(afterAttempts: notification.attempts)))
            return false
        }
        let envelope = MailEnvelope(
            messageID: notification.id, sender: notification.sender ?? defaultSender,
            recipients: notification.recipient.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            content: Data(message.utf8))
        let delivery: MailDelivery
        do {
            delivery = try await mailer.deliver(envelope)
        } catch {
            let wait = backoff(afterAttempts: notification.attempts)
            logger.warning("mail not delivered; will retry", metadata: [LogKeys.error: "\(error)", "retry_in_seconds": "\(Int(wait))"])
            do {
                try await catalog.markNotificationFailed(id: notification.id, error: "\(error)", retryAt: Date().addingTimeInterval(wait))
            } catch {
                logger.warning("cannot record the failed attempt", metadata: [LogKeys.error: "\(error)"])
            }
            return false
        }
        // Delivered: record it, retrying briefly (a restarting database is back within
        // seconds). Left unmarked, it is offered again when its lease ends, and the stable
        // Message-ID lets the transport recognise it.
        let pause = BackoffPolicy(initial: .milliseconds(250), maximum: .seconds(2))
        let attempts = 5
        for attempt in 1...attempts {
            do {
                try await catalog.markNotificationSent(id: notification.id, at: Date(), path: delivery.destination)
                logger.info("mail delivered", metadata: [LogKeys.kind: "\(notification.kind.rawValue)"])
                return true
            } catch {
                guard attempt < attempts, (try? await Task.sleep(for: pause.delay(afterAttempt: attempt))) != nil else {
                    logger.warning("mail delivered but not marked sent", metadata: [LogKeys.error: "\(error)"])
                    return false
                }
            }
        }
        return false
    }

    /// Seconds to wait after `attempts` earlier failures plus this one.
    func backoff(afterAttempts attempts: Int) -> Double {
        options.retryBackoff.delay(afterAttempt: attempts + 1).seconds
    }
}
