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
    func apply(_ migrations: [Migration]) async throws {
        try await exclusively { connection in
            try await transaction(connection) {
                try await run(connection, Migration.bookkeepingSQLite)
                var applied: [Int: String] = [:]
                for row in try await run(connection, "SELECT version, name FROM schema_migrations") {
                    let columns = SQLiteColumns(row: row, table: "schema_migrations")
                    applied[try columns.int("version")] = try columns.string("name")
                }
                if let newest = applied.keys.max(), newest > migrations.last?.version ?? 0 {
                    throw CatalogError(
                        .migrationFailed,
                        "\(path) has schema version \(newest); this build knows up to \(migrations.last?.version ?? 0)"
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
                        for statement in migration.sqlite {
                            try await run(connection, statement)
                        }
                        try await run(
                            connection,
                            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                            [.init(migration.version), .init(migration.name), .init(Date())]
                        )
                    } catch let error as CatalogError {
                        throw CatalogError(
                            .migrationFailed,
                            "migration \(migration.version) '\(migration.name)' failed: \(error.message)"
                        )
                    }
                }
            }
        }
    }

    public func video(contentSHA256: String) async throws -> VideoRecord? {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM videos WHERE content_sha256 = ?", [.init(contentSHA256)])
                .first.map(Self.videoRecord)
        }
    }

    public func video(id: String) async throws -> VideoRecord? {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM videos WHERE id = ?", [.init(id)]).first.map(Self.videoRecord)
        }
    }

    public func commit(_ batch: GoldBatch) async throws {
        try await exclusively { connection in
            try await transaction(connection) {
                try await insert(batch, connection)
            }
        }
    }

    public func job(id: String) async throws -> JobRecord? {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM jobs WHERE id = ?", [.init(id)]).first.map(Self.jobRecord)
        }
    }

    public func job(requestID: String) async throws -> JobRecord? {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM jobs WHERE request_id = ?", [.init(requestID)])
                .first.map(Self.jobRecord)
        }
    }

    public func jobs(sourcePath: String) async throws -> [JobRecord] {
        try await exclusively { connection in
            try await run(
                connection,
                "SELECT * FROM jobs WHERE source_path = ? ORDER BY created_at DESC, id DESC",
                [.init(sourcePath)]
            ).map(Self.jobRecord)
        }
    }

    public func recentJobs(limit: Int) async throws -> [JobRecord] {
        // SQLite reads a negative LIMIT as "no limit".
        guard limit > 0 else { return [] }
        return try await exclusively { connection in
            try await run(connection, "SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?", [.init(limit)])
                .map(Self.jobRecord)
        }
    }

    public func taskRuns(jobID: String) async throws -> [TaskRunRecord] {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM task_runs WHERE job_id = ? ORDER BY task, attempt", [.init(jobID)])
                .map(Self.taskRunRecord)
        }
    }

    public func findings(jobID: String) async throws -> [QCFindingRecord] {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM qc_findings WHERE job_id = ? ORDER BY seq", [.init(jobID)])
                .map(Self.findingRecord)
        }
    }

    public func streams(videoID: String) async throws -> [StreamRecord] {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM streams WHERE video_id = ? ORDER BY idx", [.init(videoID)])
                .map(Self.streamRecord)
        }
    }

    public func notifications(jobID: String) async throws -> [NotificationRecord] {
        try await exclusively { connection in
            try await run(
                connection,
                "SELECT * FROM notifications WHERE job_id = ? ORDER BY created_at, id",
                [.init(jobID)]
            ).map(Self.notificationRecord)
        }
    }

    public func renditions(videoID: String) async throws -> [RenditionRecord] {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM renditions WHERE video_id = ? ORDER BY height DESC, name", [.init(videoID)])
                .map(Self.renditionRecord)
        }
    }

    public func sceneCuts(videoID: String) async throws -> [SceneCutRecord] {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM scene_cuts WHERE video_id = ? ORDER BY seq", [.init(videoID)])
                .map(Self.sceneCutRecord)
        }
    }

    public func fingerprints() async throws -> [FingerprintRecord] {
        try await exclusively { connection in
            try await run(connection, "SELECT * FROM fingerprints ORDER BY video_id").map(Self.fingerprintRecord)
        }
    }

    public func recordTaskRuns(_ runs: [TaskRunRecord]) async throws {
        guard !runs.isEmpty else { return }
        try await exclusively { connection in
            try await transaction(connection) {
                for run in runs {
                    try await self.run(
                        connection,
                        """
                        INSERT INTO task_runs (job_id, task, attempt, state, started_at, finished_at, duration_ms, error)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (job_id, task, attempt) DO UPDATE SET state = excluded.state,
                            started_at = excluded.started_at, finished_at = excluded.finished_at,
                            duration_ms = excluded.duration_ms, error = excluded.error
                        """,
                        [
                            .init(run.jobID), .init(run.task), .init(run.attempt), .init(run.state), .init(run.startedAt),
                            .init(run.finishedAt), .init(run.durationMilliseconds), .init(run.error),
                        ]
                    )
                }
            }
        }
    }

    public func claimNotifications(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationRecord] {
        try await exclusively { connection in
            var claimed: [NotificationRecord] = []
            // The write lock makes the read and the lease one step for every process.
            try await transaction(connection) {
                claimed = try await run(
                    connection,
                    """
                    SELECT * FROM notifications
                    WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
                    ORDER BY created_at, id LIMIT ?
                    """,
                    [.init(date), .init(limit)]
                ).map(Self.notificationRecord)
                guard !claimed.isEmpty else { return }
                let placeholders = Array(repeating: "?", count: claimed.count).joined(separator: ", ")
                try await run(connection, "UPDATE notifications SET next_attempt_at = ? WHERE id IN (\(placeholders))",
                              [.init(leaseUntil)] + claimed.map { .init($0.id) })
                for index in claimed.indices { claimed[index].nextAttemptAt = leaseUntil }
            }
            return claimed
        }
    }

    public func markNotificationFailed(id: String, error: String, retryAt: Date) async throws {
        _ = try await exclusively { connection in
            try await run(
                connection,
                "UPDATE notifications SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
                [.init(error), .init(retryAt), .init(id)]
            )
        }
    }

    public func markNotificationSent(id: String, at date: Date, path: String?) async throws {
        _ = try await exclusively { connection in
            try await run(
                connection,
                "UPDATE notifications SET state = 'sent', sent_at = ?, path = ? WHERE id = ?",
                [.init(date), .init(path), .init(id)]
            )
        }
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

    // MARK: - Writing a batch

    private func insert(_ batch: GoldBatch, _ connection: SQLiteConnection) async throws {
        let job = batch.job
        if try await !run(connection, "SELECT 1 FROM jobs WHERE id = ?", [.init(job.id)]).isEmpty {
            return  // Already committed: a redelivered batch changes nothing.
        }
        if let requestID = job.requestID,
           let owner = try await run(connection, "SELECT id FROM jobs WHERE request_id = ?", [.init(requestID)]).first {
            let ownerID = owner.column("id")?.string ?? "?"
            throw CatalogError(.duplicateRequest, "request \(requestID) is already recorded as job \(ownerID)")
        }

        // A video with the same content may have been stored since the pipeline looked
        // (another job racing on the same file): keep that row and link this job to it.
        var storedVideoID: [String: String] = [:]
        if let video = batch.video {
            let existing = try await run(
                connection, "SELECT id FROM videos WHERE content_sha256 = ?", [.init(video.contentSHA256)]
            ).first
            if let existing {
                storedVideoID[video.id] = try SQLiteColumns(row: existing, table: "videos").string("id")
            } else {
                try await insertVideo(video, connection)
                for stream in batch.streams {
                    try await insertStream(stream, connection)
                }
                try await insertSilver(of: batch, connection)
            }
        }
        func linked(_ id: String?) -> String? { id.map { storedVideoID[$0] ?? $0 } }

        try await run(
            connection,
            """
            INSERT INTO jobs (id, request_id, origin, source_path, state, verdict, error_code, error_message,
                              video_id, duplicate_of, created_at, started_at, finished_at, log_path)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .init(job.id), .init(job.requestID), .init(job.origin), .init(job.sourcePath),
                .init(job.state.rawValue), .init(job.verdict), .init(job.errorCode), .init(job.errorMessage),
                .init(linked(job.videoID)), .init(linked(job.duplicateOf)), .init(job.createdAt),
                .init(job.startedAt), .init(job.finishedAt), .init(job.logPath),
            ]
        )
        for run in batch.taskRuns {
            try await self.run(
                connection,
                """
                INSERT INTO task_runs (job_id, task, attempt, state, started_at, finished_at, duration_ms, error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .init(run.jobID), .init(run.task), .init(run.attempt), .init(run.state), .init(run.startedAt),
                    .init(run.finishedAt), .init(run.durationMilliseconds), .init(run.error),
                ]
            )
        }
        for (seq, finding) in batch.findings.enumerated() {
            try await run(
                connection,
                """
                INSERT INTO qc_findings (job_id, seq, video_id, kind, severity, message, start_seconds, end_seconds)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .init(finding.jobID), .init(seq), .init(linked(finding.videoID)), .init(finding.kind),
                    .init(finding.severity), .init(finding.message), .init(finding.startSeconds),
                    .init(finding.endSeconds),
                ]
            )
        }
        for notification in batch.notifications {
            try await run(
                connection,
                """
                INSERT INTO notifications (id, job_id, kind, recipient, subject, state, path, created_at, sent_at,
                                           sender, message, attempts, last_error, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .init(notification.id), .init(notification.jobID), .init(notification.kind),
                    .init(notification.recipient), .init(notification.subject), .init(notification.state),
                    .init(notification.path), .init(notification.createdAt), .init(notification.sentAt),
                    .init(notification.sender), .init(notification.message), .init(notification.attempts),
                    .init(notification.lastError), .init(notification.nextAttemptAt),
                ]
            )
        }
    }

    private func insertVideo(_ video: VideoRecord, _ connection: SQLiteConnection) async throws {
        try await run(
            connection,
            """
            INSERT INTO videos (id, content_sha256, original_name, source_path, bronze_path, size_bytes, container,
                                duration_seconds, bit_rate, width, height, video_codec, audio_codec, probe_json,
                                sidecar_json, first_seen_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .init(video.id), .init(video.contentSHA256), .init(video.originalName), .init(video.sourcePath),
                .init(video.bronzePath), .init(video.sizeBytes), .init(video.container), .init(video.durationSeconds),
                .init(video.bitRate), .init(video.width), .init(video.height), .init(video.videoCodec),
                .init(video.audioCodec), .init(video.probeJSON), .init(video.sidecarJSON), .init(video.firstSeenAt),
            ]
        )
    }

    private func insertStream(_ stream: StreamRecord, _ connection: SQLiteConnection) async throws {
        try await run(
            connection,
            """
            INSERT INTO streams (video_id, idx, kind, codec, profile, width, height, frame_rate, pixel_format,
                                 sample_rate, channels, channel_layout, bit_rate, language, rotation_degrees,
                                 detail_json)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .init(stream.videoID), .init(stream.index), .init(stream.kind), .init(stream.codec),
                .init(stream.profile), .init(stream.width), .init(stream.height), .init(stream.frameRate),
                .init(stream.pixelFormat), .init(stream.sampleRate), .init(stream.channels),
                .init(stream.channelLayout), .init(stream.bitRate), .init(stream.language),
                .init(stream.rotationDegrees), .init(stream.detailJSON),
            ]
        )
    }

    private func insertSilver(of batch: GoldBatch, _ connection: SQLiteConnection) async throws {
        for rendition in batch.renditions {
            try await run(
                connection,
                """
                INSERT INTO renditions (video_id, name, path, width, height, duration_seconds, size_bytes, bit_rate,
                                        psnr, ssim, verified)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .init(rendition.videoID), .init(rendition.name), .init(rendition.path), .init(rendition.width),
                    .init(rendition.height), .init(rendition.durationSeconds), .init(rendition.sizeBytes),
                    .init(rendition.bitRate), .init(rendition.psnr), .init(rendition.ssim), .init(rendition.verified ? 1 : 0),
                ]
            )
        }
        for (seq, cut) in batch.sceneCuts.enumerated() {
            try await run(
                connection,
                "INSERT INTO scene_cuts (video_id, seq, seconds, score) VALUES (?, ?, ?, ?)",
                [.init(cut.videoID), .init(seq), .init(cut.seconds), .init(cut.score)]
            )
        }
        if let fingerprint = batch.fingerprint {
            try await run(
                connection,
                "INSERT INTO fingerprints (video_id, seconds_per_hash, hashes_hex) VALUES (?, ?, ?)",
                [.init(fingerprint.videoID), .init(fingerprint.secondsPerHash), .init(fingerprint.hashesHex)]
            )
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

    /// `BEGIN IMMEDIATE` takes the write lock up front: a read-then-write transaction in WAL mode
    /// could otherwise fail with SQLITE_BUSY_SNAPSHOT without waiting for the busy timeout.
    private func transaction(_ connection: SQLiteConnection, _ body: () async throws -> Void) async throws {
        try await run(connection, "BEGIN IMMEDIATE")
        do {
            try await body()
            try await run(connection, "COMMIT")
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }

    @discardableResult
    private func run(_ connection: SQLiteConnection, _ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch let error as SQLiteError {
            throw CatalogError(sqlite: error, sql: sql)
        } catch {
            throw CatalogError(.queryFailed, "\(error) in: \(sql)")
        }
    }
}

extension CatalogError {
    init(sqlite error: SQLiteError, sql: String, file: String = #fileID, line: Int = #line) {
        let statement = sql.split(separator: "\n").first.map(String.init) ?? sql
        let message = "\(error) in: \(statement)"
        switch error.reason {
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked:
            self.init(.busy, message, isRetryable: true, file: file, line: line)
        case .constraint, .constraintCheckFailed, .constraintCommitHookFailed, .constraintForeignKeyFailed,
             .constraintUserFunctionFailed, .constraintNotNullFailed, .constraintPrimaryKeyFailed,
             .constraintTriggerFailed, .constraintUniqueFailed, .constraintVirtualTableFailed,
             .constraintUniqueRowIDFailed, .constraintUpdateTriggerDeletedRow, .constraintStrictDataTypeFailed:
            self.init(.constraintViolation, message, file: file, line: line)
        default:
            self.init(.queryFailed, message, file: file, line: line)
        }
    }
}
