import Foundation
import Media

/// Everything vidpipe can be told, with the defaults documented in `config/vidpipe.env`.
///
/// Values come, highest precedence first, from the process environment, a `.env`
/// file in the working directory, the file named by `VIDPIPE_CONFIG_FILE`
/// (default `config/vidpipe.env` when present), and the compiled defaults below.
public struct VidpipeConfiguration: Sendable, Equatable {
    /// Root of the data lake. Default `./datalake`; `VIDPIPE_DATALAKE` moves it.
    public var datalake: String
    /// Folders that request paths (inbox, later Kafka) must resolve inside. Files named on
    /// the command line are the user's explicit choice and skip this check.
    /// Default: `<datalake>/incoming`. `VIDPIPE_ALLOWED_ROOTS`, colon-separated.
    public var allowedRoots: [String]
    /// Largest accepted input. Default 100 GiB. `VIDPIPE_MAX_FILE_BYTES`.
    public var maxFileBytes: Int64
    /// Jobs processed at once. Default: twice the number of cores, so one job's waits
    /// (catalog, broker, files) overlap another's CPU work; ``cpuConcurrency`` still bounds
    /// the heavy tasks. `VIDPIPE_JOB_CONCURRENCY`.
    public var jobConcurrency: Int
    /// CPU-heavy tasks (probe, checksum, decode) at once across all jobs. Default: cores.
    /// `VIDPIPE_CPU_CONCURRENCY`.
    public var cpuConcurrency: Int
    /// Attempts for tasks that fail with a retryable error. Default 3. `VIDPIPE_TASK_ATTEMPTS`.
    public var taskAttempts: Int
    /// Upper bound on a single task. Default 1800 s. `VIDPIPE_TASK_TIMEOUT_SECONDS`.
    public var taskTimeoutSeconds: Double
    /// What to do when a video arrives without its `<name>.json` sidecar.
    /// Default `.notify` (the original system mailed "missing metadata"). `VIDPIPE_MISSING_SIDECAR`.
    public var missingSidecar: MissingSidecarPolicy
    /// Rules the silver policy check applies to every probe and QC report.
    public var policy: MediaPolicy
    /// QC thresholds; the defaults equal the matching ffmpeg filters'. `VIDPIPE_QC_*`.
    public var qc: QCOptions
    /// The rendition ladder. Default 1080p/720p/480p/360p H.264 + AAC.
    /// `VIDPIPE_RENDITIONS` (`none` for no renditions), `VIDPIPE_X264_PRESET`.
    public var ladder: RenditionLadder
    /// Poster, sprite and storyboard. `VIDPIPE_SPRITE_TILES`, `VIDPIPE_SPRITE_COLUMNS`.
    public var thumbnails: ThumbnailOptions
    /// Who hears about every job, in addition to a request's own address. `EMAIL_RECEIVER`.
    public var emailReceiver: String?
    /// The From address of notifications. Default `vidpipe@localhost`. `EMAIL_SENDER`.
    public var emailSender: String
    /// How often the daemon looks into the inbox. Default 1 s. `VIDPIPE_INBOX_POLL_SECONDS`.
    public var inboxPollSeconds: Double
    /// How long the daemon lets in-flight jobs finish after SIGTERM. Default 30 s.
    /// `VIDPIPE_SHUTDOWN_GRACE_SECONDS`.
    public var shutdownGraceSeconds: Double
    /// `trace`…`critical`. Default `info`. `VIDPIPE_LOG_LEVEL`.
    public var logLevel: String
    /// PostgreSQL catalog (service mode). `PG_CONN_URI`.
    public var postgresURI: String?
    /// How long one PostgreSQL call (a query, or a job's whole gold transaction) may go
    /// unanswered before it fails retryably. Default 30 s. `VIDPIPE_PG_CALL_DEADLINE_SECONDS`.
    public var postgresCallDeadlineSeconds: Double
    /// SMTP delivery (service mode). `SMTP_SERVER`, `SMTP_PORT`, `SMTP_USER`, `SMTP_PASSWORD`.
    public var smtp: SMTPSettings

    /// What happens to a video that has no metadata sidecar.
    public enum MissingSidecarPolicy: String, Sendable, CaseIterable {
        /// Accept silently.
        case ignore
        /// Accept, and mail a "missing metadata" notice.
        case notify
        /// Reject the video.
        case reject
    }

    /// SMTP settings under the original system's variable names.
    public struct SMTPSettings: Sendable, Equatable {
        public var server: String?
        public var port: Int
        public var user: String?
        /// Never logged: `description` of the configuration redacts it.
        public var password: String?
    }

    /// The compiled defaults, identical to `config/vidpipe.env` (a test keeps them in step).
    public static func defaults(datalake: String = "./datalake") -> VidpipeConfiguration {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return VidpipeConfiguration(
            datalake: datalake,
            allowedRoots: [datalake + "/incoming"],
            maxFileBytes: 100 * 1024 * 1024 * 1024,
            jobConcurrency: 2 * cores,
            cpuConcurrency: cores,
            taskAttempts: 3,
            taskTimeoutSeconds: 1800,
            missingSidecar: .notify,
            policy: .default,
            qc: QCOptions(),
            ladder: .default,
            thumbnails: ThumbnailOptions(),
            emailReceiver: nil,
            emailSender: "vidpipe@localhost",
            inboxPollSeconds: 1,
            shutdownGraceSeconds: 30,
            logLevel: "info",
            postgresURI: nil,
            postgresCallDeadlineSeconds: 30,
            smtp: SMTPSettings(server: nil, port: 587, user: nil, password: nil)
        )
    }

    /// Where embedded mode keeps its parts, all inside the data lake.
    public var layout: DatalakeLayout { DatalakeLayout(root: datalake) }
}

/// Paths inside the data lake.
public struct DatalakeLayout: Sendable, Equatable {
    public var root: String
    public var bronze: String { root + "/bronze" }
    public var silver: String { root + "/silver" }
    /// Derived media and reports of one video: renditions, thumbnails, qc.json, metadata.json.
    public func silverFolder(videoID: String) -> String { silver + "/" + videoID }
    public var catalog: String { root + "/catalog.sqlite" }
    public var inbox: String { root + "/inbox" }
    public var outbox: String { root + "/outbox" }
    public var logs: String { root + "/logs" }
    /// Requests the daemon has taken from the inbox, kept for audit.
    public var inboxDone: String { inbox + "/done" }
    /// Requests the daemon could not use, each beside a `.error.txt` saying why.
    public var inboxRejected: String { inbox + "/rejected" }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The variable at fault, when one is.
    public var variable: String?
    public var message: String
    public var description: String {
        if let variable { return "configuration: \(variable): \(message)" }
        return "configuration: \(message)"
    }
}

extension VidpipeConfiguration: CustomStringConvertible {
    /// A readable dump with secrets redacted, for `vidpipe config` and start-up logs.
    public var description: String {
        var lines = [
            "VIDPIPE_DATALAKE=\(datalake)",
            "VIDPIPE_ALLOWED_ROOTS=\(allowedRoots.joined(separator: ":"))",
            "VIDPIPE_MAX_FILE_BYTES=\(maxFileBytes)",
            "VIDPIPE_JOB_CONCURRENCY=\(jobConcurrency)",
            "VIDPIPE_CPU_CONCURRENCY=\(cpuConcurrency)",
            "VIDPIPE_TASK_ATTEMPTS=\(taskAttempts)",
            "VIDPIPE_TASK_TIMEOUT_SECONDS=\(taskTimeoutSeconds)",
            "VIDPIPE_MISSING_SIDECAR=\(missingSidecar.rawValue)",
            "EMAIL_RECEIVER=\(emailReceiver ?? "")",
            "EMAIL_SENDER=\(emailSender)",
            "VIDPIPE_INBOX_POLL_SECONDS=\(inboxPollSeconds)",
            "VIDPIPE_SHUTDOWN_GRACE_SECONDS=\(shutdownGraceSeconds)",
            "VIDPIPE_LOG_LEVEL=\(logLevel)",
            "PG_CONN_URI=\(postgresURI.map(Self.redactingPassword) ?? "")",
            "VIDPIPE_PG_CALL_DEADLINE_SECONDS=\(postgresCallDeadlineSeconds)",
            "SMTP_SERVER=\(smtp.server ?? "")",
            "SMTP_PORT=\(smtp.port)",
            "SMTP_USER=\(smtp.user ?? "")",
            "SMTP_PASSWORD=\(smtp.password == nil ? "" : "<redacted>")",
        ]
        lines += policy.environmentLines
        lines += [
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
            "VIDPIPE_RENDITIONS=\(ladder.rungs.isEmpty ? "none" : ladder.rungs.map(LadderSyntax.describe).joined(separator: ","))",
            "VIDPIPE_X264_PRESET=\(ladder.preset)",
            "VIDPIPE_SPRITE_TILES=\(thumbnails.tiles)",
            "VIDPIPE_SPRITE_COLUMNS=\(thumbnails.columns)",
        ]
        return lines.joined(separator: "\n")
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
