import Catalog
import Execution
import Foundation
import PostgresNIO
import Synchronization

/// The service-mode ``Catalog``: PostgreSQL through a PostgresNIO connection pool, with the
/// same records and rules as `SQLiteCatalog`.
///
/// The pool needs a task running ``run()`` (or ``client``'s `run()`): the daemon adds
/// ``client`` to its `ServiceGroup`; CLI commands and tests use ``running(settings:logger:)``,
/// which runs it until ``close()``. Calls wait while nothing runs the pool.
///
/// A gold batch is one `BEGIN … COMMIT` on one leased connection. Errors are
/// ``CatalogError``s; connection loss, a server restart and serialization conflicts are
/// retryable, so a gold task retried after PostgreSQL comes back commits normally.
public final class PostgresCatalog: Catalog {
    /// The connection pool, a swift-service-lifecycle `Service`.
    ///
    /// Its `run()` ends at graceful shutdown; put it before the services that use the catalog
    /// in the `ServiceGroup`, so it is shut down after them.
    public let client: PostgresClient
    private let logger: Logger
    private let callDeadline: Duration
    /// How long one call may go unanswered unless configured otherwise.
    public static let defaultCallDeadline: Duration = .seconds(30)
    private let lifecycle = Mutex(Lifecycle())

    private struct Lifecycle {
        var closed = false
        /// The task running the pool when this catalog started it itself.
        var ownRun: Task<Void, Never>?
    }

    /// Keys of transaction-scoped advisory locks (`pg_advisory_xact_lock`); the first half
    /// namespaces them so other applications sharing the database do not collide.
    static let lockNamespace: Int32 = 0x7669_6470  // "vidp"
    static let migrationLock: Int32 = 1

    /// A catalog whose pool someone else runs (the daemon's `ServiceGroup`).
    ///
    /// - Parameter logger: receives the pool's background messages and each query's debug
    ///   messages (SQL and bound values are logged only at trace level by PostgresNIO).
    ///   - callDeadline: how long one call (a query, or a whole transaction) may go
    ///     unanswered before it is abandoned with a retryable ``CatalogError/Code/unavailable``.
    public init(configuration: PostgresClient.Configuration, logger: Logger, callDeadline: Duration = defaultCallDeadline) {
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
        self.callDeadline = callDeadline
    }

    /// A catalog whose pool someone else runs, from parsed `PG_CONN_URI` settings.
    public convenience init(settings: PostgresConnectionSettings, logger: Logger, callDeadline: Duration = defaultCallDeadline) {
        self.init(configuration: settings.clientConfiguration(), logger: logger, callDeadline: callDeadline)
    }

    /// A catalog that runs its own pool in a task until ``close()``: for CLI commands and tests.
    public static func running(settings: PostgresConnectionSettings, logger: Logger, callDeadline: Duration = defaultCallDeadline) -> PostgresCatalog {
        let catalog = PostgresCatalog(settings: settings, logger: logger, callDeadline: callDeadline)
        let client = catalog.client
        catalog.lifecycle.withLock { $0.ownRun = Task { await client.run() } }
        return catalog
    }

    /// Runs the pool until the task is cancelled (or, inside a `ServiceGroup`, until graceful
    /// shutdown). Call it once, and not on a catalog made by ``running(settings:logger:)``.
    public func run() async {
        await client.run()
    }

    // MARK: - Migrations

    public func migrate() async throws {
        try await apply(Migration.all)
    }

    /// Applies `migrations` (sorted by version) that the database has not recorded yet, in one
    /// transaction holding an advisory lock: a second process waits for the first, then finds
    /// nothing to do. DDL is transactional in PostgreSQL, so a failed migration leaves no trace.
    package func apply(_ migrations: [Migration]) async throws {
        try await transaction { statements in
            try await statements.run("SELECT pg_advisory_xact_lock(\(Self.lockNamespace), \(Self.migrationLock))")
            try await statements.applyMigrations(migrations, store: "the database")
        }
    }

    // MARK: - Catalog, through the statements shared with SQLite

    public func video(contentSHA256: String) async throws -> VideoRecord? {
        try await autocommit { try await $0.video(contentSHA256: contentSHA256) }
    }

    public func video(id: String) async throws -> VideoRecord? {
        try await autocommit { try await $0.video(id: id) }
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

    public func commit(_ batch: GoldBatch) async throws {
        try await transaction { statements in
            // Two deliveries of one job racing: the second waits here until the first commits,
            // then sees its row and changes nothing.
            try await statements.run("SELECT pg_advisory_xact_lock(\(Self.lockNamespace), hashtext(\(batch.job.id)))")
            try await statements.insert(batch)
        }
    }

    public func recordTaskRuns(_ runs: [TaskRunRecord]) async throws {
        guard !runs.isEmpty else { return }
        // One upserting statement, atomic on its own: no BEGIN/COMMIT round trips.
        try await autocommit { try await $0.insertTaskRuns(runs, upsert: true) }
    }

    public func claimNotifications(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationRecord] {
        // One statement; SKIP LOCKED makes a concurrent claim pass over the rows this one is taking.
        try await autocommit { try await $0.claimNotifications(dueBy: date, limit: limit, leaseUntil: leaseUntil) }
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
        try await autocommit { try await $0.claimWebhookDeliveries(dueBy: date, limit: limit, leaseUntil: leaseUntil) }
    }

    public func recordWebhookAttempt(_ attempt: WebhookAttemptRecord, verdict: WebhookAttemptVerdict) async throws {
        try await transaction { try await $0.recordWebhookAttempt(attempt, verdict: verdict) }
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

    /// Stops using the catalog: later calls throw ``CatalogError/Code/closed``. A pool this
    /// catalog runs itself (``running(settings:logger:)``) is shut down; one run by a
    /// `ServiceGroup` stops with the group. Closing twice is harmless.
    public func close() async throws {
        let ownRun = lifecycle.withLock { state -> Task<Void, Never>? in
            state.closed = true
            defer { state.ownRun = nil }
            return state.ownRun
        }
        ownRun?.cancel()
        await ownRun?.value
    }

    // MARK: - Connections

    private func checkOpen() throws {
        if lifecycle.withLock({ $0.closed }) { throw CatalogError(.closed, "the PostgreSQL catalog is closed") }
    }

    /// Runs `body`'s statements on one leased connection, each its own transaction.
    /// `what` names the call in error messages.
    private func autocommit<Result: Sendable>(
        _ what: String = #function, _ body: @escaping @Sendable (PostgresStatements) async throws -> Result
    ) async throws -> Result {
        try await withConnection(what) { try await body(PostgresStatements(connection: $0, logger: self.logger)) }
    }

    /// Runs `body` between `BEGIN` and `COMMIT` on one leased connection, rolling back on any error.
    ///
    /// A failed COMMIT leaves the outcome unknown; a retry is safe because a batch is
    /// idempotent on its job id.
    private func transaction(_ body: @escaping @Sendable (PostgresStatements) async throws -> Void) async throws {
        try await withConnection("BEGIN") { connection in
            let statements = PostgresStatements(connection: connection, logger: self.logger)
            try await statements.run("BEGIN")
            do {
                try await body(statements)
                try await statements.run("COMMIT")
            } catch {
                // A closed connection cannot roll back (PostgresNIO would never answer the
                // ROLLBACK); the server discards the transaction anyway.
                if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: self.logger) }
                throw error
            }
        }
    }

    /// Runs `body` on one leased connection, within ``callDeadline``; errors become
    /// ``CatalogError``s (`what` names the work in their message).
    private func withConnection<Result: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try checkOpen()
        return try await withinDeadline(what) {
            do {
                return try await self.client.withConnection(body)
            } catch {
                throw CatalogError(postgres: error, sql: what)
            }
        }
    }

    /// Runs `body`, but answers with a retryable `.unavailable` once ``callDeadline`` passes
    /// without a result. PostgresNIO (1.33) never answers a query written to a connection
    /// that has just closed, e.g. when the pool hands one out before it noticed a server
    /// restart; the caller (a retrying job) must not wait on it forever. The abandoned call
    /// is cancelled and left to finish or fail on its own.
    private func withinDeadline<Result: Sendable>(
        _ what: String, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let deadline = callDeadline
        let race = DeadlineRace<Result>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.pending.withLock { $0 = continuation }
                let timer = Task {
                    // Not Task.sleep: a cancelled one holds its timer until the deadline.
                    try? await CancellableSleep.sleep(for: deadline)
                    guard !Task.isCancelled else { return }
                    race.finish(.failure(CatalogError(
                        .unavailable, "PostgreSQL did not answer within \(deadline) (\(what.prefix(60)))", isRetryable: true)))
                }
                race.work.withLock { slot in
                    slot = Task {
                        do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
                        timer.cancel()
                    }
                }
            }
        } onCancel: {
            race.work.withLock { $0?.cancel() }
        }
    }
}

/// A call racing its deadline: whichever finishes first resumes the caller, once; a late
/// loser is ignored, and a call that loses to the deadline is cancelled.
private final class DeadlineRace<Result: Sendable>: Sendable {
    let pending = Mutex<CheckedContinuation<Result, any Error>?>(nil)
    let work = Mutex<Task<Void, Never>?>(nil)

    func finish(_ outcome: Swift.Result<Result, any Error>) {
        guard let continuation = pending.withLock({ $0.take() }) else { return }
        if case .failure = outcome { work.withLock { $0?.cancel() } }
        continuation.resume(with: outcome)
    }
}
