import Foundation

/// The webhook outbox's claim, attempt record and reads, for every database: the same
/// lease discipline as the notification outbox (``claimNotifications(dueBy:limit:leaseUntil:)``).
extension CatalogConnection {
    /// Leases up to `limit` due pending deliveries in one statement, oldest first.
    package func claimWebhookDeliveries(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [WebhookDeliveryRecord] {
        try await fetch(
            WebhookDeliveryRecord.self,
            """
            UPDATE webhook_deliveries SET next_attempt_at = \(leaseUntil)
            WHERE id IN (
                SELECT id FROM webhook_deliveries
                WHERE state = \(WebhookDeliveryState.pending) AND (next_attempt_at IS NULL OR next_attempt_at <= \(date))
                ORDER BY created_at, id\(dialect: .byteOrder) LIMIT \(limit)\(dialect: .skipLocked))
            RETURNING *
            """
        ).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Records `attempt` and moves its delivery on as `verdict` says. Run in one transaction,
    /// so the attempt count and the attempt rows never disagree.
    package func recordWebhookAttempt(_ attempt: WebhookAttemptRecord, verdict: WebhookAttemptVerdict) async throws {
        try await execute(
            """
            INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status, latency_ms, error)
            VALUES (\(attempt.deliveryID), \(attempt.attempt), \(attempt.attemptedAt), \(attempt.status),
                    \(attempt.latencyMilliseconds), \(attempt.error))
            ON CONFLICT (delivery_id, attempt) DO NOTHING
            """
        )
        var state = WebhookDeliveryState.failed
        var deliveredAt: Date?
        var retryAt: Date?
        switch verdict {
        case .delivered:
            state = .delivered
            deliveredAt = attempt.attemptedAt
        case .retry(let at):
            state = .pending
            retryAt = at
        case .gaveUp:
            break
        }
        try await execute(
            """
            UPDATE webhook_deliveries SET state = \(state), attempts = \(attempt.attempt), last_status = \(attempt.status),
                last_error = \(attempt.error), delivered_at = \(deliveredAt), next_attempt_at = \(retryAt)
            WHERE id = \(attempt.deliveryID)
            """
        )
    }

    /// Gives up a pending delivery without an attempt (its endpoint is no longer configured):
    /// no attempt row, `reason` as its last error.
    package func giveUpWebhookDelivery(id: String, reason: String) async throws {
        try await execute(
            """
            UPDATE webhook_deliveries SET state = \(WebhookDeliveryState.failed), last_error = \(reason), next_attempt_at = NULL
            WHERE id = \(id) AND state = \(WebhookDeliveryState.pending)
            """
        )
    }

    package func webhookDeliveries(jobID: String) async throws -> [WebhookDeliveryRecord] {
        try await fetch(
            WebhookDeliveryRecord.self,
            "SELECT * FROM webhook_deliveries WHERE job_id = \(jobID) ORDER BY created_at, url\(dialect: .byteOrder)")
    }

    package func webhookAttempts(deliveryID: String) async throws -> [WebhookAttemptRecord] {
        try await fetch(
            WebhookAttemptRecord.self, "SELECT * FROM webhook_attempts WHERE delivery_id = \(deliveryID) ORDER BY attempt")
    }

    package func webhookTallies() async throws -> [WebhookTally] {
        let rows = try await execute(
            "SELECT state, COUNT(*) AS deliveries FROM webhook_deliveries GROUP BY state", table: "webhook_deliveries")
        return try rows.map { WebhookTally(state: try $0.value("state", of: "webhook_deliveries"), deliveries: try $0.int64("deliveries")) }
            .sorted { $0.state.rawValue < $1.state.rawValue }
    }

    package func givenUpWebhookDeliveries(limit: Int) async throws -> [WebhookDeliveryRecord] {
        try await fetch(
            WebhookDeliveryRecord.self,
            """
            SELECT * FROM webhook_deliveries WHERE state = \(WebhookDeliveryState.failed)
            ORDER BY created_at DESC, id\(dialect: .byteOrder) LIMIT \(limit)
            """)
    }

    package func pendingWebhookCount() async throws -> Int {
        let rows = try await execute(
            "SELECT COUNT(*) AS pending FROM webhook_deliveries WHERE state = \(WebhookDeliveryState.pending)")
        return Int(try rows.first?.int64("pending") ?? 0)
    }
}

/// The ``Catalog`` calls of the webhook outbox, the same on every database.
extension CatalogBackend {
    public func claimWebhookDeliveries(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [WebhookDeliveryRecord] {
        try await claim(#function) { try await $0.claimWebhookDeliveries(dueBy: date, limit: limit, leaseUntil: leaseUntil) }
    }

    public func recordWebhookAttempt(_ attempt: WebhookAttemptRecord, verdict: WebhookAttemptVerdict) async throws {
        try await transaction { try await $0.recordWebhookAttempt(attempt, verdict: verdict) }
    }

    public func giveUpWebhookDelivery(id: String, reason: String) async throws {
        try await autocommit(#function) { try await $0.giveUpWebhookDelivery(id: id, reason: reason) }
    }

    public func webhookTallies() async throws -> [WebhookTally] {
        try await autocommit(#function) { try await $0.webhookTallies() }
    }

    public func givenUpWebhookDeliveries(limit: Int) async throws -> [WebhookDeliveryRecord] {
        try await autocommit(#function) { try await $0.givenUpWebhookDeliveries(limit: limit) }
    }

    public func webhookDeliveries(jobID: String) async throws -> [WebhookDeliveryRecord] {
        try await autocommit(#function) { try await $0.webhookDeliveries(jobID: jobID) }
    }

    public func webhookAttempts(deliveryID: String) async throws -> [WebhookAttemptRecord] {
        try await autocommit(#function) { try await $0.webhookAttempts(deliveryID: deliveryID) }
    }

    public func pendingWebhookCount() async throws -> Int {
        try await autocommit(#function) { try await $0.pendingWebhookCount() }
    }
}
