import Ingest
import Media
import Webhooks

extension VidpipeConfiguration: CustomStringConvertible {
    /// Every variable with its effective value, secrets redacted: `vidpipe config` and
    /// start-up logs. The names are the ones `config/vidpipe.env` documents.
    public var description: String {
        let ingest = self.ingest
        var lines = [
            "VIDPIPE_DATALAKE=\(ingest.datalake)",
            "VIDPIPE_STATE_DIR=\(ingest.stateDirectory)",
            "VIDPIPE_SCRATCH=\(ingest.scratch)",
            "VIDPIPE_SCRATCH_MAX_BYTES=\(ingest.scratchMaxBytes ?? 0)",
            "VIDPIPE_CATALOG=\(ingest.catalogPath ?? "")",
            "VIDPIPE_ALLOWED_ROOTS=\(ingest.allowedRoots.joined(separator: ":"))",
            "VIDPIPE_MAX_FILE_BYTES=\(ingest.maxFileBytes)",
            "VIDPIPE_JOB_CONCURRENCY=\(ingest.jobConcurrency)",
            "VIDPIPE_CPU_CONCURRENCY=\(ingest.cpuConcurrency)",
            "VIDPIPE_MEMORY_BUDGET=\(ingest.memoryBudgetBytes ?? 0)",
            "VIDPIPE_TASK_ATTEMPTS=\(ingest.taskAttempts)",
            "VIDPIPE_TASK_TIMEOUT_SECONDS=\(ingest.taskTimeoutSeconds)",
            "VIDPIPE_OUTAGE_TOLERANCE_SECONDS=\(ingest.outageToleranceSeconds)",
            "VIDPIPE_MISSING_SIDECAR=\(ingest.missingSidecar.rawValue)",
            "EMAIL_RECEIVER=\(ingest.emailReceiver ?? "")",
            "EMAIL_SENDER=\(ingest.emailSender)",
            "VIDPIPE_WORKER_ID=\(ingest.workerID)",
            "VIDPIPE_INBOX_POLL_SECONDS=\(inboxPollSeconds)",
            "VIDPIPE_SHUTDOWN_GRACE_SECONDS=\(shutdownGraceSeconds)",
            "VIDPIPE_LOG_LEVEL=\(logLevel)",
            "VIDPIPE_LOG_MAX_BYTES=\(logMaxBytes)",
            "VIDPIPE_LOG_FILES=\(logFiles)",
            "VIDPIPE_HTTP_HOST=\(httpHost)",
            "VIDPIPE_HTTP_PORT=\(httpPort)",
            "PG_CONN_URI=\(postgresURI.map(Self.redactingPassword) ?? "")",
            "VIDPIPE_PG_CALL_DEADLINE_SECONDS=\(postgresCallDeadlineSeconds)",
            "SMTP_SERVER=\(smtp?.server ?? "")",
            "SMTP_PORT=\(smtp.map { "\($0.port)" } ?? "")",
            "SMTP_USER=\(smtp?.username ?? "")",
            "SMTP_PASSWORD=\(smtp?.password == nil ? "" : "<redacted>")",
            "SMTP_SECURITY=\(smtp?.security.rawValue ?? "")",
            "AWS_ENDPOINT_URL=\(ingest.objectStorage?.endpoint ?? "")",
            "AWS_REGION=\(ingest.objectStorage?.region ?? "")",
            "AWS_ACCESS_KEY_ID=\(ingest.objectStorage?.accessKeyID ?? "")",
            "AWS_SECRET_ACCESS_KEY=\(ingest.objectStorage == nil ? "" : "<redacted>")",
            "AWS_SESSION_TOKEN=\(ingest.objectStorage?.sessionToken == nil ? "" : "<redacted>")",
            "VIDPIPE_S3_ADDRESSING=\(ingest.objectStorage?.addressing.rawValue ?? "")",
            "KAFKA_BOOTSTRAP_SERVERS=\(kafka?.bootstrapServers.joined(separator: ",") ?? "")",
            "KAFKA_TOPIC_REQUESTS=\(topics.requests)",
            "KAFKA_TOPIC_PROCESSED=\(topics.processed)",
            "KAFKA_TOPIC_DEAD_LETTER=\(topics.deadLetter)",
            "VIDPIPE_WEBHOOK_URLS=\(ingest.webhookEndpoints.map(\.description).joined(separator: ","))",
            "VIDPIPE_WEBHOOK_SECRET=\(webhooks.secret == nil ? "" : "<redacted>")",
            "VIDPIPE_WEBHOOK_RETRY_HOURS=\(webhooks.retryHours)",
            "VIDPIPE_WEBHOOK_BACKOFF_SECONDS=\(webhooks.backoffSeconds)",
            "VIDPIPE_WEBHOOK_TIMEOUT_SECONDS=\(webhooks.timeoutSeconds)",
            "VIDPIPE_WEBHOOK_CA_FILE=\(webhooks.caFile ?? "")",
        ]
        lines += Self.policyLines(ingest.policy) + Self.mediaLines(ingest)
        return lines.joined(separator: "\n")
    }

    private static func policyLines(_ policy: MediaPolicy) -> [String] {
        [
            "VIDPIPE_POLICY_PRESET=\(policy.preset.rawValue)",
            "VIDPIPE_POLICY_CONTAINERS=\(policy.containers.sorted().joined(separator: ","))",
            "VIDPIPE_POLICY_VIDEO_CODECS=\(policy.videoCodecs.sorted().joined(separator: ","))",
            "VIDPIPE_POLICY_AUDIO_CODECS=\(policy.audioCodecs.sorted().joined(separator: ","))",
            "VIDPIPE_POLICY_MIN_RESOLUTION=\(policy.minWidth)x\(policy.minHeight)",
            "VIDPIPE_POLICY_MAX_RESOLUTION=\(policy.maxWidth)x\(policy.maxHeight)",
            "VIDPIPE_POLICY_MAX_DURATION_SECONDS=\(policy.maxDurationSeconds)",
            "VIDPIPE_POLICY_AUDIO=\(policy.audio.rawValue)",
            "VIDPIPE_POLICY_MIN_BITRATE=\(policy.minBitRate)",
            "VIDPIPE_POLICY_MAX_BLACK_SHARE=\(policy.maxBlackShare)",
            "VIDPIPE_POLICY_MAX_SILENCE_SHARE=\(policy.maxSilenceShare)",
        ]
    }

    private static func mediaLines(_ ingest: IngestConfiguration) -> [String] {
        let qc = ingest.qc
        return [
            "VIDPIPE_QC_BLACK_MIN_SECONDS=\(qc.blackMinDuration)",
            "VIDPIPE_QC_BLACK_PICTURE_RATIO=\(qc.pictureBlackRatio)",
            "VIDPIPE_QC_BLACK_PIXEL_THRESHOLD=\(qc.pixelBlackThreshold)",
            "VIDPIPE_QC_FREEZE_NOISE=\(qc.freezeNoise)",
            "VIDPIPE_QC_FREEZE_MIN_SECONDS=\(qc.freezeMinDuration)",
            "VIDPIPE_QC_SILENCE_NOISE=\(qc.silenceNoise)",
            "VIDPIPE_QC_SILENCE_MIN_SECONDS=\(qc.silenceMinDuration)",
            "VIDPIPE_QC_LOUDNESS_TARGET_LUFS=\(qc.loudnessTarget)",
            "VIDPIPE_QC_LOUDNESS_TOLERANCE_LU=\(qc.loudnessTolerance)",
            "VIDPIPE_QC_MAX_PEAK_DBTP=\(qc.maximumPeak)",
            "VIDPIPE_QC_MAX_AV_MISMATCH_SECONDS=\(qc.maximumAudioVideoMismatch)",
            "VIDPIPE_RENDITIONS=\(ingest.ladder.rungs.isEmpty ? "none" : ingest.ladder.rungs.map(LadderSyntax.describe).joined(separator: ","))",
            "VIDPIPE_X264_PRESET=\(ingest.ladder.preset)",
            "VIDPIPE_SEGMENT_SECONDS=\(ingest.ladder.segmentSeconds.map { String(format: "%g", $0) } ?? "0")",
            "VIDPIPE_DASH=\(ingest.ladder.writesDASHManifest ? 1 : 0)",
            "VIDPIPE_SPRITE_TILES=\(ingest.thumbnails.tiles)",
            "VIDPIPE_SPRITE_COLUMNS=\(ingest.thumbnails.columns)",
        ]
    }

    /// `postgres://user:secret@host/db` → `postgres://user:<redacted>@host/db`.
    ///
    /// Lexical rather than `URLComponents`, which cannot parse libpq's multi-host form
    /// (`@h1:5432,h2:5432/db`) and would let the password through unredacted.
    static func redactingPassword(_ uri: String) -> String {
        guard let scheme = uri.range(of: "://") else { return uri }
        // The user info ends at the last `@` before the query: passwords may hold `/` or `@`.
        let beforeQuery = uri[scheme.upperBound...].prefix { $0 != "?" }
        guard let at = beforeQuery.lastIndex(of: "@"), let colon = beforeQuery[..<at].firstIndex(of: ":") else { return uri }
        return uri.replacingCharacters(in: uri.index(after: colon)..<at, with: "<redacted>")
    }
}
