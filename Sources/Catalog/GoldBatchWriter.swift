/// Writing a ``GoldBatch`` and late task runs, for every database. These run inside the
/// caller's transaction; none of them commits or rolls back.
extension CatalogConnection {
    /// Writes `batch`, or nothing when its job is already recorded (a redelivered batch).
    ///
    /// - Throws: ``CatalogError/Code/duplicateRequest`` when another job holds the batch's
    ///   request id; the caller's transaction then rolls back.
    package func insert(_ batch: GoldBatch) async throws {
        let job = batch.job
        guard try await !isRecorded(job) else { return }
        let storedVideoID = try await insertVideo(of: batch)
        func linked(_ id: String?) -> String? { id.map { storedVideoID[$0] ?? $0 } }

        try await execute(
            """
            INSERT INTO jobs (id, request_id, origin, source_path, state, verdict, error_code, error_message,
                              video_id, duplicate_of, created_at, started_at, finished_at, log_path, sidecar_json, retry_of, worker)
            VALUES (\(job.id), \(job.requestID), \(job.origin), \(job.sourcePath), \(job.state), \(job.verdict),
                    \(job.errorCode), \(job.errorMessage), \(linked(job.videoID)), \(linked(job.duplicateOf)),
                    \(job.createdAt), \(job.startedAt), \(job.finishedAt), \(job.logPath), \(job.sidecarJSON.map(JSONText.init)),
                    \(job.retryOf), \(job.worker))
            """
        )
        try await insertTaskRuns(batch.taskRuns)
        try await insertRows(
            into: "qc_findings",
            columns: ["job_id", "seq", "video_id", "kind", "severity", "message", "start_seconds", "end_seconds"],
            Array(batch.findings.enumerated())
        ) { seq, finding in
            [finding.jobID, seq, linked(finding.videoID), finding.kind, finding.severity, finding.message,
             finding.startSeconds, finding.endSeconds]
        }
        try await insertRows(
            into: "notifications",
            columns: ["id", "job_id", "kind", "recipient", "subject", "state", "path", "created_at", "sent_at", "sender",
                      "message", "attempts", "last_error", "next_attempt_at"],
            batch.notifications
        ) { notification in
            [notification.id, notification.jobID, notification.kind, notification.recipient, notification.subject,
             notification.state, notification.path, notification.createdAt, notification.sentAt, notification.sender,
             notification.message, notification.attempts, notification.lastError, notification.nextAttemptAt]
        }
        try await insertRows(
            into: "webhook_deliveries",
            columns: ["id", "event_id", "job_id", "event_type", "url", "body", "state", "created_at", "delivered_at", "attempts",
                      "last_status", "last_error", "next_attempt_at"],
            batch.webhooks
        ) { delivery in
            [delivery.id, delivery.eventID, delivery.jobID, delivery.eventType, delivery.url, delivery.body, delivery.state,
             delivery.createdAt, delivery.deliveredAt, delivery.attempts, delivery.lastStatus, delivery.lastError,
             delivery.nextAttemptAt]
        }
    }

    /// Task runs as recorded, or (`upsert`) replacing an earlier record of the same attempt.
    package func insertTaskRuns(_ runs: [TaskRunRecord], upsert: Bool = false) async throws {
        try await insertRows(
            into: "task_runs",
            columns: ["job_id", "task", "attempt", "state", "started_at", "finished_at", "duration_ms", "error"], runs,
            suffix: upsert
                ? """
                   ON CONFLICT (job_id, task, attempt) DO UPDATE SET state = excluded.state,
                  started_at = excluded.started_at, finished_at = excluded.finished_at,
                  duration_ms = excluded.duration_ms, error = excluded.error
                  """ : ""
        ) { run in
            [run.jobID, run.task, run.attempt, run.state, run.startedAt, run.finishedAt, run.durationMilliseconds, run.error]
        }
    }

    /// Whether `job` is already recorded: the job itself, or another job holding its request
    /// id (which throws), found in one round trip.
    private func isRecorded(_ job: JobRecord) async throws -> Bool {
        let owners = try await execute(
            "SELECT id FROM jobs WHERE id = \(job.id) OR request_id = \(job.requestID)", table: "jobs"
        ).map { (try? $0.string("id")) ?? "?" }
        if owners.contains(job.id) { return true }
        if let owner = owners.first {
            throw CatalogError(.duplicateRequest, "request \(job.requestID ?? "") is already recorded as job \(owner)")
        }
        return false
    }

    /// Inserts the batch's video with its streams and silver outputs, unless a video with the
    /// same content is stored: one may have been stored since the pipeline looked (or is being
    /// stored by a racing job; ON CONFLICT waits for it). Then that row is kept and the result
    /// maps the batch's video id to it, for the job to link to.
    private func insertVideo(of batch: GoldBatch) async throws -> [String: String] {
        guard let video = batch.video else { return [:] }
        let inserted = try await execute(
            """
            INSERT INTO videos (id, content_sha256, original_name, source_path, bronze_path, size_bytes, container,
                                duration_seconds, bit_rate, width, height, video_codec, audio_codec, probe_json,
                                sidecar_json, first_seen_at, hls_master_path)
            VALUES (\(video.id), \(video.contentSHA256), \(video.originalName), \(video.sourcePath),
                    \(video.bronzePath), \(video.sizeBytes), \(video.container), \(video.durationSeconds),
                    \(video.bitRate), \(video.width), \(video.height), \(video.videoCodec), \(video.audioCodec),
                    \(JSONText(video.probeJSON)), \(video.sidecarJSON.map(JSONText.init)), \(video.firstSeenAt),
                    \(video.hlsMasterPath))
            ON CONFLICT (content_sha256) DO NOTHING
            RETURNING id
            """
        )
        guard inserted.isEmpty else {
            try await insertStreams(batch.streams)
            try await insertSilver(of: batch)
            return [:]
        }
        let existing = try await execute("SELECT id FROM videos WHERE content_sha256 = \(video.contentSHA256)", table: "videos")
        guard let row = existing.first else {
            throw CatalogError(.queryFailed, "video \(video.contentSHA256) conflicted but cannot be read", isRetryable: true)
        }
        return [video.id: try row.string("id")]
    }

    private func insertStreams(_ streams: [StreamRecord]) async throws {
        try await insertRows(
            into: "streams",
            columns: ["video_id", "idx", "kind", "codec", "profile", "width", "height", "frame_rate", "pixel_format",
                      "sample_rate", "channels", "channel_layout", "bit_rate", "language", "rotation_degrees", "detail_json"],
            streams
        ) { stream in
            [stream.videoID, stream.index, stream.kind, stream.codec, stream.profile, stream.width, stream.height,
             stream.frameRate, stream.pixelFormat, stream.sampleRate, stream.channels, stream.channelLayout,
             stream.bitRate, stream.language, stream.rotationDegrees, JSONText(stream.detailJSON)]
        }
    }

    private func insertSilver(of batch: GoldBatch) async throws {
        try await insertRows(
            into: "renditions",
            columns: ["video_id", "name", "path", "width", "height", "duration_seconds", "size_bytes", "bit_rate", "psnr",
                      "ssim", "verified"],
            batch.renditions
        ) { rendition in
            [rendition.videoID, rendition.name, rendition.path, rendition.width, rendition.height,
             rendition.durationSeconds, rendition.sizeBytes, rendition.bitRate, rendition.psnr, rendition.ssim,
             rendition.verified]
        }
        try await insertRows(
            into: "scene_cuts", columns: ["video_id", "seq", "seconds", "score"], Array(batch.sceneCuts.enumerated())
        ) { seq, cut in
            [cut.videoID, seq, cut.seconds, cut.score]
        }
        if let fingerprint = batch.fingerprint {
            try await execute(
                """
                INSERT INTO fingerprints (video_id, seconds_per_hash, hashes_hex)
                VALUES (\(fingerprint.videoID), \(fingerprint.secondsPerHash), \(fingerprint.hashesHex))
                """
            )
        }
    }

    /// Inserts `rows` with multi-row statements (a round trip per table, not per row);
    /// `values` gives one row's values, bound in `columns` order.
    private func insertRows<Row>(
        into table: String, columns: [String], _ rows: [Row], suffix: String = "",
        values: (Row) -> [any CatalogBindable]
    ) async throws {
        // PostgreSQL takes at most 65,535 parameters in a statement (sqlite-nio's SQLite, 250,000).
        let rowsPerStatement = max(1, 30_000 / columns.count)
        for start in stride(from: 0, to: rows.count, by: rowsPerStatement) {
            var statement = CatalogStatement(unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES ")
            for (offset, row) in rows[start..<min(rows.count, start + rowsPerStatement)].enumerated() {
                let rowValues = values(row)
                precondition(rowValues.count == columns.count, "\(table): a row bound \(rowValues.count) of \(columns.count) values")
                statement.append(sql: offset == 0 ? "(" : ", (")
                for (index, value) in rowValues.enumerated() {
                    if index > 0 { statement.append(sql: ", ") }
                    statement.append(value)
                }
                statement.append(sql: ")")
            }
            statement.append(sql: suffix)
            try await execute(statement)
        }
    }
}
