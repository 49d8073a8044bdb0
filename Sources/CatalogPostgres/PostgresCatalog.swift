import Catalog
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
    func apply(_ migrations: [Migration]) async throws {
        let known = migrations.last?.version ?? 0
        try await transaction { connection in
            try await self.run(connection, "SELECT pg_advisory_xact_lock(\(Self.lockNamespace), \(Self.migrationLock))")
            try await self.run(connection, PostgresQuery(unsafeSQL: Migration.bookkeepingPostgres))
            var applied: [Int: String] = [:]
            for row in try await self.run(connection, "SELECT version, name FROM schema_migrations") {
                let columns = PostgresColumns(row: row, table: "schema_migrations")
                applied[try columns.int("version")] = try columns.string("name")
            }
            if let newest = applied.keys.max(), newest > known {
                throw CatalogError(
                    .migrationFailed, "the database has schema version \(newest); this build knows up to \(known)"
                )
            }
            for migration in migrations {
                if let name = applied[migration.version] {
                    guard name == migration.name else {
                        throw CatalogError(
                            .migrationFailed,
                            "migration \(migration.version) is recorded as '\(name)', expected '\(migration.name)'"
                        )
                    }
                    continue
                }
                do {
                    // DDL from Migration.swift: constants of this build, not input.
                    for statement in migration.postgres {
                        try await self.run(connection, PostgresQuery(unsafeSQL: statement))
                    }
                    try await self.run(
                        connection,
                        """
                        INSERT INTO schema_migrations (version, name, applied_at)
                        VALUES (\(migration.version), \(migration.name), \(Date().postgres))
                        """
                    )
                } catch let error as CatalogError {
                    throw CatalogError(
                        .migrationFailed, "migration \(migration.version) '\(migration.name)' failed: \(error.message)",
                        isRetryable: error.isRetryable
                    )
                }
            }
        }
    }

    // MARK: - Reads

    public func video(contentSHA256: String) async throws -> VideoRecord? {
        try await query("SELECT * FROM videos WHERE content_sha256 = \(contentSHA256)").first.map(Self.videoRecord)
    }

    public func video(id: String) async throws -> VideoRecord? {
        try await query("SELECT * FROM videos WHERE id = \(id)").first.map(Self.videoRecord)
    }

    public func job(id: String) async throws -> JobRecord? {
        try await query("SELECT * FROM jobs WHERE id = \(id)").first.map(Self.jobRecord)
    }

    public func job(requestID: String) async throws -> JobRecord? {
        try await query("SELECT * FROM jobs WHERE request_id = \(requestID)").first.map(Self.jobRecord)
    }

    // Text tie-breakers use COLLATE "C": byte order, as SQLite sorts, whatever the database locale.

    public func jobs(sourcePath: String) async throws -> [JobRecord] {
        try await query(
            "SELECT * FROM jobs WHERE source_path = \(sourcePath) ORDER BY created_at DESC, id COLLATE \"C\" DESC"
        ).map(Self.jobRecord)
    }

    public func recentJobs(limit: Int) async throws -> [JobRecord] {
        guard limit > 0 else { return [] }
        return try await query("SELECT * FROM jobs ORDER BY created_at DESC, id COLLATE \"C\" DESC LIMIT \(limit)")
            .map(Self.jobRecord)
    }

    public func taskRuns(jobID: String) async throws -> [TaskRunRecord] {
        try await query("SELECT * FROM task_runs WHERE job_id = \(jobID) ORDER BY task COLLATE \"C\", attempt")
            .map(Self.taskRunRecord)
    }

    public func findings(jobID: String) async throws -> [QCFindingRecord] {
        try await query("SELECT * FROM qc_findings WHERE job_id = \(jobID) ORDER BY seq").map(Self.findingRecord)
    }

    public func streams(videoID: String) async throws -> [StreamRecord] {
        try await query("SELECT * FROM streams WHERE video_id = \(videoID) ORDER BY idx").map(Self.streamRecord)
    }

    public func notifications(jobID: String) async throws -> [NotificationRecord] {
        try await query(
            "SELECT * FROM notifications WHERE job_id = \(jobID) ORDER BY created_at, id COLLATE \"C\""
        ).map(Self.notificationRecord)
    }

    public func renditions(videoID: String) async throws -> [RenditionRecord] {
        try await query(
            "SELECT * FROM renditions WHERE video_id = \(videoID) ORDER BY height DESC, name COLLATE \"C\""
        ).map(Self.renditionRecord)
    }

    public func sceneCuts(videoID: String) async throws -> [SceneCutRecord] {
        try await query("SELECT * FROM scene_cuts WHERE video_id = \(videoID) ORDER BY seq").map(Self.sceneCutRecord)
    }

    public func fingerprints() async throws -> [FingerprintRecord] {
        try await query("SELECT * FROM fingerprints ORDER BY video_id COLLATE \"C\"").map(Self.fingerprintRecord)
    }

    // MARK: - Writes

    public func commit(_ batch: GoldBatch) async throws {
        try await transaction { connection in
            try await self.insert(batch, connection)
        }
    }

    public func recordTaskRuns(_ runs: [TaskRunRecord]) async throws {
        guard !runs.isEmpty else { return }
        // One upserting statement, atomic on its own: no BEGIN/COMMIT round trips.
        try await withConnection("INSERT INTO task_runs") { connection in
            try await self.insertTaskRuns(runs, connection, upsert: true)
        }
    }

    public func claimNotifications(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationRecord] {
        // SKIP LOCKED: a concurrent claim passes over the rows this one is taking.
        try await query(
            """
            UPDATE notifications SET next_attempt_at = \(leaseUntil.postgres)
            WHERE id IN (
                SELECT id FROM notifications
                WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= \(date.postgres))
                ORDER BY created_at, id COLLATE "C" LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING *
            """
        ).map(Self.notificationRecord).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func markNotificationFailed(id: String, error: String, retryAt: Date) async throws {
        try await query(
            "UPDATE notifications SET attempts = attempts + 1, last_error = \(error), next_attempt_at = \(retryAt.postgres) WHERE id = \(id)"
        )
    }

    public func markNotificationSent(id: String, at date: Date, path: String?) async throws {
        try await query("UPDATE notifications SET state = 'sent', sent_at = \(date.postgres), path = \(path) WHERE id = \(id)")
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

    // MARK: - Writing a batch

    private func insert(_ batch: GoldBatch, _ connection: PostgresConnection) async throws {
        let job = batch.job
        // Two deliveries of one job racing: the second waits here until the first commits,
        // then sees its row and changes nothing.
        try await run(connection, "SELECT pg_advisory_xact_lock(\(Self.lockNamespace), hashtext(\(job.id)))")
        // The job itself, or another job holding its request id, in one round trip.
        for row in try await run(connection, "SELECT id FROM jobs WHERE id = \(job.id) OR request_id = \(job.requestID)") {
            let ownerID = (try? PostgresColumns(row: row, table: "jobs").string("id")) ?? "?"
            if ownerID == job.id { return }  // Already committed: a redelivered batch changes nothing.
            throw CatalogError(.duplicateRequest, "request \(job.requestID ?? "") is already recorded as job \(ownerID)")
        }

        // A video with the same content may have been stored since the pipeline looked (or is
        // being stored by a racing job: ON CONFLICT waits for it): keep that row, link to it.
        var storedVideoID: [String: String] = [:]
        if let video = batch.video {
            if try await insertVideo(video, connection) {
                try await insertStreams(batch.streams, connection)
                try await insertSilver(of: batch, connection)
            } else {
                let existing = try await run(connection, "SELECT id FROM videos WHERE content_sha256 = \(video.contentSHA256)")
                guard let row = existing.first else {
                    throw CatalogError(.queryFailed, "video \(video.contentSHA256) conflicted but cannot be read", isRetryable: true)
                }
                storedVideoID[video.id] = try PostgresColumns(row: row, table: "videos").string("id")
            }
        }
        func linked(_ id: String?) -> String? { id.map { storedVideoID[$0] ?? $0 } }

        try await run(
            connection,
            """
            INSERT INTO jobs (id, request_id, origin, source_path, state, verdict, error_code, error_message,
                              video_id, duplicate_of, created_at, started_at, finished_at, log_path)
            VALUES (\(job.id), \(job.requestID), \(job.origin), \(job.sourcePath), \(job.state.rawValue),
                    \(job.verdict), \(job.errorCode), \(job.errorMessage), \(linked(job.videoID)),
                    \(linked(job.duplicateOf)), \(job.createdAt.postgres), \(job.startedAt.postgres),
                    \(job.finishedAt.postgres), \(job.logPath))
            """
        )
        try await insertTaskRuns(batch.taskRuns, connection)
        try await insertRows(
            connection, into: "qc_findings",
            columns: ["job_id", "seq", "video_id", "kind", "severity", "message", "start_seconds", "end_seconds"],
            Array(batch.findings.enumerated())
        ) { item, row in
            let (seq, finding) = item
            row.append(finding.jobID); row.append(seq); row.append(linked(finding.videoID)); row.append(finding.kind)
            row.append(finding.severity); row.append(finding.message); row.append(finding.startSeconds)
            row.append(finding.endSeconds)
        }
        try await insertRows(
            connection, into: "notifications",
            columns: ["id", "job_id", "kind", "recipient", "subject", "state", "path", "created_at", "sent_at", "sender",
                      "message", "attempts", "last_error", "next_attempt_at"],
            batch.notifications
        ) { notification, row in
            row.append(notification.id); row.append(notification.jobID); row.append(notification.kind)
            row.append(notification.recipient); row.append(notification.subject); row.append(notification.state)
            row.append(notification.path); row.append(notification.createdAt.postgres); row.append(notification.sentAt.postgres)
            row.append(notification.sender); row.append(notification.message); row.append(notification.attempts)
            row.append(notification.lastError); row.append(notification.nextAttemptAt.postgres)
        }
    }

    /// Task runs as recorded, or (`upsert`) replacing an earlier record of the same attempt.
    private func insertTaskRuns(_ runs: [TaskRunRecord], _ connection: PostgresConnection, upsert: Bool = false) async throws {
        try await insertRows(
            connection, into: "task_runs",
            columns: ["job_id", "task", "attempt", "state", "started_at", "finished_at", "duration_ms", "error"], runs,
            suffix: upsert
                ? """
                   ON CONFLICT (job_id, task, attempt) DO UPDATE SET state = excluded.state,
                  started_at = excluded.started_at, finished_at = excluded.finished_at,
                  duration_ms = excluded.duration_ms, error = excluded.error
                  """ : ""
        ) { run, row in
            row.append(run.jobID); row.append(run.task); row.append(run.attempt); row.append(run.state)
            row.append(run.startedAt.postgres); row.append(run.finishedAt.postgres); row.append(run.durationMilliseconds)
            row.append(run.error)
        }
    }

    /// Inserts `video` unless its content hash is stored; returns whether it was inserted.
    private func insertVideo(_ video: VideoRecord, _ connection: PostgresConnection) async throws -> Bool {
        // JSON columns take text through an explicit cast: a text parameter is not assignable to json.
        let inserted = try await run(
            connection,
            """
            INSERT INTO videos (id, content_sha256, original_name, source_path, bronze_path, size_bytes, container,
                                duration_seconds, bit_rate, width, height, video_codec, audio_codec, probe_json,
                                sidecar_json, first_seen_at)
            VALUES (\(video.id), \(video.contentSHA256), \(video.originalName), \(video.sourcePath),
                    \(video.bronzePath), \(video.sizeBytes), \(video.container), \(video.durationSeconds),
                    \(video.bitRate), \(video.width), \(video.height), \(video.videoCodec), \(video.audioCodec),
                    \(video.probeJSON)::json, \(video.sidecarJSON)::json, \(video.firstSeenAt.postgres))
            ON CONFLICT (content_sha256) DO NOTHING
            RETURNING id
            """
        )
        return !inserted.isEmpty
    }

    private func insertStreams(_ streams: [StreamRecord], _ connection: PostgresConnection) async throws {
        try await insertRows(
            connection, into: "streams",
            columns: ["video_id", "idx", "kind", "codec", "profile", "width", "height", "frame_rate", "pixel_format",
                      "sample_rate", "channels", "channel_layout", "bit_rate", "language", "rotation_degrees", "detail_json"],
            casts: ["detail_json": "::json"], streams
        ) { stream, row in
            row.append(stream.videoID); row.append(stream.index); row.append(stream.kind); row.append(stream.codec)
            row.append(stream.profile); row.append(stream.width); row.append(stream.height); row.append(stream.frameRate)
            row.append(stream.pixelFormat); row.append(stream.sampleRate); row.append(stream.channels)
            row.append(stream.channelLayout); row.append(stream.bitRate); row.append(stream.language)
            row.append(stream.rotationDegrees); row.append(stream.detailJSON)
        }
    }

    private func insertSilver(of batch: GoldBatch, _ connection: PostgresConnection) async throws {
        try await insertRows(
            connection, into: "renditions",
            columns: ["video_id", "name", "path", "width", "height", "duration_seconds", "size_bytes", "bit_rate", "psnr",
                      "ssim", "verified"],
            batch.renditions
        ) { rendition, row in
            row.append(rendition.videoID); row.append(rendition.name); row.append(rendition.path); row.append(rendition.width)
            row.append(rendition.height); row.append(rendition.durationSeconds); row.append(rendition.sizeBytes)
            row.append(rendition.bitRate); row.append(rendition.psnr); row.append(rendition.ssim); row.append(rendition.verified)
        }
        try await insertRows(
            connection, into: "scene_cuts", columns: ["video_id", "seq", "seconds", "score"], Array(batch.sceneCuts.enumerated())
        ) { item, row in
            row.append(item.element.videoID); row.append(item.offset); row.append(item.element.seconds); row.append(item.element.score)
        }
        if let fingerprint = batch.fingerprint {
            try await run(
                connection,
                """
                INSERT INTO fingerprints (video_id, seconds_per_hash, hashes_hex)
                VALUES (\(fingerprint.videoID), \(fingerprint.secondsPerHash), \(fingerprint.hashesHex))
                """
            )
        }
    }

    // MARK: - Running statements

    /// Inserts `rows` with one multi-row statement (a round trip per table, not per row);
    /// `bind` appends one row's values, a bound parameter each, in `columns` order.
    private func insertRows<Row>(
        _ connection: PostgresConnection, into table: String, columns: [String], casts: [String: String] = [:],
        _ rows: [Row], suffix: String = "", bind: (Row, inout PostgresBindings) -> Void
    ) async throws {
        // A statement takes at most 65,535 parameters.
        let rowsPerStatement = max(1, 30_000 / columns.count)
        for start in stride(from: 0, to: rows.count, by: rowsPerStatement) {
            let chunk = rows[start..<min(rows.count, start + rowsPerStatement)]
            var bindings = PostgresBindings(capacity: chunk.count * columns.count)
            var tuples: [String] = []
            for row in chunk {
                let first = bindings.count
                bind(row, &bindings)
                precondition(bindings.count == first + columns.count, "\(table): a row bound \(bindings.count - first) of \(columns.count) values")
                tuples.append("(" + columns.indices.map { "$\(first + $0 + 1)\(casts[columns[$0]] ?? "")" }.joined(separator: ", ") + ")")
            }
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))\(suffix)"
            try await run(connection, PostgresQuery(unsafeSQL: sql, binds: bindings))
        }
    }

    private func checkOpen() throws {
        if lifecycle.withLock({ $0.closed }) { throw CatalogError(.closed, "the PostgreSQL catalog is closed") }
    }

    /// Runs one statement on a pooled connection and collects its rows.
    @discardableResult
    private func query(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        // Leased here rather than by `client.query`, so that `run` can refuse a connection
        // the pool has not yet seen close.
        try await withConnection(query.sql) { try await self.run($0, query) }
    }

    /// Runs `body` between `BEGIN` and `COMMIT` on one leased connection, rolling back on any error.
    ///
    /// A failed COMMIT leaves the outcome unknown; a retry is safe because a batch is
    /// idempotent on its job id.
    private func transaction(_ body: @escaping @Sendable (PostgresConnection) async throws -> Void) async throws {
        try await withConnection("BEGIN") { connection in
            try await self.run(connection, "BEGIN")
            do {
                try await body(connection)
                try await self.run(connection, "COMMIT")
            } catch {
                // A closed connection cannot roll back (PostgresNIO would never answer the
                // ROLLBACK); the server discards the transaction anyway.
                if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: self.logger) }
                throw error
            }
        }
    }

    /// Runs `body` on one leased connection, within ``callDeadline``; errors become
    /// ``CatalogError``s (`sql` names the work in their message).
    private func withConnection<Result: Sendable>(
        _ sql: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try checkOpen()
        return try await withinDeadline(sql) {
            do {
                return try await self.client.withConnection(body)
            } catch {
                throw CatalogError(postgres: error, sql: sql)
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
                    try? await Task.sleep(for: deadline)
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

    @discardableResult
    private func run(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        // PostgresNIO drops a query written to a closed connection without ever answering
        // it: e.g. the next statement after a server restart's "terminating connection".
        guard !connection.isClosed else {
            throw CatalogError(.unavailable, "the connection to PostgreSQL closed (\(query.sql.prefix(60)))", isRetryable: true)
        }
        do {
            return try await collect(connection.query(query, logger: logger))
        } catch {
            throw CatalogError(postgres: error, sql: query.sql)
        }
    }

    private func collect(_ rows: PostgresRowSequence) async throws -> [PostgresRandomAccessRow] {
        var collected: [PostgresRandomAccessRow] = []
        for try await row in rows {
            collected.append(row.makeRandomAccess())
        }
        return collected
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
