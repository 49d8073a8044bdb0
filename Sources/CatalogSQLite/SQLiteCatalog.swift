import Catalog
import Foundation
import SQLiteNIO

/// The default ``Catalog``: one SQLite file in WAL mode, so other processes (the `status`
/// command) can read while the daemon writes.
///
/// One connection serves every call, one call at a time. A batch runs inside
/// `BEGIN IMMEDIATE … COMMIT`, so it takes the write lock before reading what it checks and
/// is rolled back whole on any error.
public actor SQLiteCatalog: Catalog {
    /// The database file.
    public nonisolated let path: String
    private var connection: SQLiteConnection?
    /// Whether a call holds the connection; see ``exclusively(_:)``.
    private var connectionInUse = false
    private var waitingForConnection: [CheckedContinuation<Void, Never>] = []

    /// Opens (or creates, with its folders) the database at `path`; `":memory:"` opens a
    /// private in-memory catalog, for tools that need the shape of one but keep nothing.
    ///
    /// - Parameter busyTimeout: how long a write waits for another process's lock before it
    ///   fails with a retryable ``CatalogError/Code/busy``. Default: 5 seconds.
    public init(path: String, busyTimeout: Duration = .seconds(5)) async throws {
        self.path = path
        let inMemory = path == ":memory:"
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            if !inMemory { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        } catch {
            throw CatalogError(.openFailed, "cannot create \(folder): \(error)")
        }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: inMemory ? .memory : .file(path: path))
        } catch {
            throw CatalogError(.openFailed, "cannot open \(path): \(error)")
        }
        do {
            // PRAGMA arguments cannot be bound; these are constants of this file, not input.
            // busy_timeout first: it replaces sqlite-nio's handler, which retries forever.
            let milliseconds = busyTimeout.components.seconds * 1_000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
            _ = try await connection.query("PRAGMA busy_timeout = \(milliseconds)")
            let mode = try await Self.switchToWAL(connection)
            guard inMemory || mode.first?.column("journal_mode")?.string == "wal" else {
                throw CatalogError(.openFailed, "\(path) did not switch to WAL journal mode")
            }
            // FULL syncs the WAL on every commit: a committed job survives a power cut.
            _ = try await connection.query("PRAGMA synchronous = FULL")
            _ = try await connection.query("PRAGMA foreign_keys = ON")
        } catch {
            try? await connection.close()
            throw error as? CatalogError ?? CatalogError(.openFailed, "cannot configure \(path): \(error)")
        }
        self.connection = connection
    }

    /// Switching a new file to WAL needs a lock that SQLite does not wait for (the busy
    /// timeout does not apply), so two processes opening a fresh catalog together can see
    /// "database is locked" here: try again a few times.
    private static func switchToWAL(_ connection: SQLiteConnection) async throws -> [SQLiteRow] {
        var attempt = 1
        while true {
            do {
                return try await connection.query("PRAGMA journal_mode = WAL")
            } catch let error as SQLiteError where error.reason == .busy && attempt < 20 {
                try await Task.sleep(for: .milliseconds(50 * attempt))
                attempt += 1
            }
        }
    }

    /// Applies pending migrations. Another process migrating the same file holds the write
    /// lock meanwhile; past the busy timeout this tries again, a few times, before giving up.
    public func migrate() async throws {
        for attempt in 1... {
            do {
                return try await apply(Migration.all)
            } catch let error as CatalogError where error.code == .busy && attempt < 5 {
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    /// Applies `migrations` (sorted by version) that the file has not recorded yet, all in one
    /// immediate transaction: a second process waits for the first and then finds nothing to do.
    package func apply(_ migrations: [Migration]) async throws {
        try await immediateTransaction { try await $0.applyMigrations(migrations, store: self.path) }
    }

    // MARK: - Catalog, through the statements shared with PostgreSQL

    public func video(contentSHA256: String) async throws -> VideoRecord? {
        try await autocommit { try await $0.video(contentSHA256: contentSHA256) }
    }

    public func video(id: String) async throws -> VideoRecord? {
        try await autocommit { try await $0.video(id: id) }
    }

    public func commit(_ batch: GoldBatch) async throws {
        try await immediateTransaction { try await $0.insert(batch) }
    }

    public func job(id: String) async throws -> JobRecord? {
        try await autocommit { try await $0.job(id: id) }
    }

    public func job(requestID: String) async throws -> JobRecord? {
        try await autocommit { try await $0.job(requestID: requestID) }
    }

    public func jobs(sourcePath: String) async throws -> [JobRecord] {
        try await autocommit { try await $0.jobs(sourcePath: sourcePath) }
    }

    public func recentJobs(limit: Int) async throws -> [JobRecord] {
        try await autocommit { try await $0.recentJobs(limit: limit) }
    }

    public func jobs(matching query: JobQuery) async throws -> [JobRecord] {
        try await autocommit { try await $0.jobs(matching: query) }
    }

    public func jobs(videoID: String) async throws -> [JobRecord] {
        try await autocommit { try await $0.jobs(videoID: videoID) }
    }

    public func retries(of jobID: String) async throws -> [JobRecord] {
        try await autocommit { try await $0.retries(of: jobID) }
    }

    public func jobTallies(finishedSince since: Date?) async throws -> [JobTally] {
        try await autocommit { try await $0.jobTallies(finishedSince: since) }
    }

    public func taskRuns(jobID: String) async throws -> [TaskRunRecord] {
        try await autocommit { try await $0.taskRuns(jobID: jobID) }
    }

    public func findings(jobID: String) async throws -> [QCFindingRecord] {
        try await autocommit { try await $0.findings(jobID: jobID) }
    }

    public func streams(videoID: String) async throws -> [StreamRecord] {
        try await autocommit { try await $0.streams(videoID: videoID) }
    }

    public func notifications(jobID: String) async throws -> [NotificationRecord] {
        try await autocommit { try await $0.notifications(jobID: jobID) }
    }

    public func renditions(videoID: String) async throws -> [RenditionRecord] {
        try await autocommit { try await $0.renditions(videoID: videoID) }
    }

    public func sceneCuts(videoID: String) async throws -> [SceneCutRecord] {
        try await autocommit { try await $0.sceneCuts(videoID: videoID) }
    }

    public func fingerprints() async throws -> [FingerprintRecord] {
        try await autocommit { try await $0.fingerprints() }
    }

    public func recordTaskRuns(_ runs: [TaskRunRecord]) async throws {
        guard !runs.isEmpty else { return }
        try await immediateTransaction { try await $0.insertTaskRuns(runs, upsert: true) }
    }

    public func claimNotifications(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationRecord] {
        // The write lock makes the read and the lease one step for every process.
        try await immediateTransaction { try await $0.claimNotifications(dueBy: date, limit: limit, leaseUntil: leaseUntil) }
    }

    public func markNotificationFailed(id: String, error: String, retryAt: Date) async throws {
        try await autocommit { try await $0.markNotificationFailed(id: id, error: error, retryAt: retryAt) }
    }

    public func markNotificationSent(id: String, at date: Date, path: String?) async throws {
        try await autocommit { try await $0.markNotificationSent(id: id, at: date, path: path) }
    }

    public func pendingNotificationCount() async throws -> Int {
        try await autocommit { try await $0.pendingNotificationCount() }
    }

    public func claimWebhookDeliveries(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [WebhookDeliveryRecord] {
        try await immediateTransaction { try await $0.claimWebhookDeliveries(dueBy: date, limit: limit, leaseUntil: leaseUntil) }
    }

    public func recordWebhookAttempt(_ attempt: WebhookAttemptRecord, verdict: WebhookAttemptVerdict) async throws {
        try await immediateTransaction { try await $0.recordWebhookAttempt(attempt, verdict: verdict) }
    }

    public func giveUpWebhookDelivery(id: String, reason: String) async throws {
        try await autocommit { try await $0.giveUpWebhookDelivery(id: id, reason: reason) }
    }

    public func webhookTallies() async throws -> [WebhookTally] {
        try await autocommit { try await $0.webhookTallies() }
    }

    public func givenUpWebhookDeliveries(limit: Int) async throws -> [WebhookDeliveryRecord] {
        try await autocommit { try await $0.givenUpWebhookDeliveries(limit: limit) }
    }

    public func webhookDeliveries(jobID: String) async throws -> [WebhookDeliveryRecord] {
        try await autocommit { try await $0.webhookDeliveries(jobID: jobID) }
    }

    public func webhookAttempts(deliveryID: String) async throws -> [WebhookAttemptRecord] {
        try await autocommit { try await $0.webhookAttempts(deliveryID: deliveryID) }
    }

    public func pendingWebhookCount() async throws -> Int {
        try await autocommit { try await $0.pendingWebhookCount() }
    }

    /// Closes the file. Later calls throw ``CatalogError/Code/closed``; closing twice is harmless.
    public func close() async throws {
        guard connection != nil else { return }
        try await exclusively { connection in
            self.connection = nil
            do {
                try await connection.close()
            } catch {
                throw CatalogError(.queryFailed, "closing \(path) failed: \(error)")
            }
        }
    }

    // MARK: - Connection discipline

    /// Runs `body` while no other call uses the connection.
    ///
    /// The actor alone does not serialise calls: it is re-entered at every `await`, and a read
    /// slipping between a batch's statements would run inside that batch's transaction.
    private func exclusively<Result: Sendable>(
        _ body: (SQLiteConnection) async throws -> Result
    ) async throws -> Result {
        if connectionInUse {
            await withCheckedContinuation { waitingForConnection.append($0) }
        } else {
            connectionInUse = true
        }
        defer {
            // Hand the connection straight to the next waiter, or free it.
            if waitingForConnection.isEmpty {
                connectionInUse = false
            } else {
                waitingForConnection.removeFirst().resume()
            }
        }
        guard let connection else { throw CatalogError(.closed, "\(path) is closed") }
        return try await body(connection)
    }

    /// Runs `body`'s statements as they come, each its own transaction, while no other call
    /// uses the connection.
    private func autocommit<Result: Sendable>(_ body: (SQLiteStatements) async throws -> Result) async throws -> Result {
        try await exclusively { try await body(SQLiteStatements(connection: $0)) }
    }

    /// Runs `body` in one transaction while no other call uses the connection, rolling back
    /// on any error.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock up front: a read-then-write transaction in WAL mode
    /// could otherwise fail with SQLITE_BUSY_SNAPSHOT without waiting for the busy timeout.
    private func immediateTransaction<Result: Sendable>(
        _ body: (SQLiteStatements) async throws -> Result
    ) async throws -> Result {
        try await exclusively { connection in
            let statements = SQLiteStatements(connection: connection)
            try await statements.run("BEGIN IMMEDIATE")
            do {
                let result = try await body(statements)
                try await statements.run("COMMIT")
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK")
                throw error
            }
        }
    }
}
