import Foundation

/// The notification outbox's claim and marks (``Catalog/claimNotifications(dueBy:limit:leaseUntil:)``
/// and the two marks after a delivery attempt), for every database.
extension CatalogConnection {
    /// Leases up to `limit` due pending notifications in one statement, oldest first.
    ///
    /// PostgreSQL skips rows a concurrent claim has locked; SQLite needs nothing of the kind
    /// because the caller holds the write lock.
    package func claimNotifications(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationRecord] {
        try await fetch(
            NotificationRecord.self,
            """
            UPDATE notifications SET next_attempt_at = \(leaseUntil)
            WHERE id IN (
                SELECT id FROM notifications
                WHERE state = \(NotificationState.pending) AND (next_attempt_at IS NULL OR next_attempt_at <= \(date))
                ORDER BY created_at, id\(dialect: .byteOrder) LIMIT \(limit)\(dialect: .skipLocked))
            RETURNING *
            """
        ).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }  // RETURNING keeps no order
    }

    package func markNotificationFailed(id: String, error: String, retryAt: Date) async throws {
        try await execute(
            "UPDATE notifications SET attempts = attempts + 1, last_error = \(error), next_attempt_at = \(retryAt) WHERE id = \(id)"
        )
    }

    package func markNotificationSent(id: String, at date: Date, path: String?) async throws {
        try await execute(
            "UPDATE notifications SET state = \(NotificationState.sent), sent_at = \(date), path = \(path) WHERE id = \(id)"
        )
    }

    package func pendingNotificationCount() async throws -> Int {
        let rows = try await execute("SELECT COUNT(*) AS pending FROM notifications WHERE state = \(NotificationState.pending)")
        return Int(try rows.first?.int64("pending") ?? 0)
    }
}

/// The ``Catalog`` calls of the notification outbox, the same on every database.
extension CatalogBackend {
    public func claimNotifications(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationRecord] {
        try await claim(#function) { try await $0.claimNotifications(dueBy: date, limit: limit, leaseUntil: leaseUntil) }
    }

    public func markNotificationFailed(id: String, error: String, retryAt: Date) async throws {
        try await autocommit(#function) { try await $0.markNotificationFailed(id: id, error: error, retryAt: retryAt) }
    }

    public func markNotificationSent(id: String, at date: Date, path: String?) async throws {
        try await autocommit(#function) { try await $0.markNotificationSent(id: id, at: date, path: path) }
    }

    public func pendingNotificationCount() async throws -> Int {
        try await autocommit(#function) { try await $0.pendingNotificationCount() }
    }
}
