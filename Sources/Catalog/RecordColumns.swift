import Foundation

/// Typed, checked access to one row's columns, whatever the database: a missing column or a
/// value of the wrong type is a ``CatalogError/Code/corruptRow``, never a silent default.
/// Each backend adapts its row type; the record types below read themselves from it, so
/// the SQLite and PostgreSQL catalogs share one mapping.
public protocol CatalogColumns {
    func string(_ name: String) throws -> String
    func optionalString(_ name: String) throws -> String?
    func int(_ name: String) throws -> Int
    func optionalInt(_ name: String) throws -> Int?
    func int64(_ name: String) throws -> Int64
    func optionalInt64(_ name: String) throws -> Int64?
    func double(_ name: String) throws -> Double
    func optionalDouble(_ name: String) throws -> Double?
    func bool(_ name: String) throws -> Bool
    func date(_ name: String) throws -> Date
    func optionalDate(_ name: String) throws -> Date?
}

extension CatalogColumns {
    /// A text column holding one of an enum's raw values; any other text is a corrupt row.
    func value<Value: RawRepresentable>(_ name: String, of table: String) throws -> Value where Value.RawValue == String {
        let text = try string(name)
        guard let value = Value(rawValue: text) else {
            throw CatalogError(.corruptRow, "\(table).\(name) has unknown value \(text)")
        }
        return value
    }
}

extension VideoRecord {
    /// Reads a `videos` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            id: try c.string("id"), contentSHA256: try c.string("content_sha256"),
            originalName: try c.string("original_name"), sourcePath: try c.string("source_path"),
            bronzePath: try c.string("bronze_path"), sizeBytes: try c.int64("size_bytes"),
            container: try c.optionalString("container"), durationSeconds: try c.optionalDouble("duration_seconds"),
            bitRate: try c.optionalInt64("bit_rate"), width: try c.optionalInt("width"),
            height: try c.optionalInt("height"), videoCodec: try c.optionalString("video_codec"),
            audioCodec: try c.optionalString("audio_codec"), probeJSON: try c.string("probe_json"),
            sidecarJSON: try c.optionalString("sidecar_json"), firstSeenAt: try c.date("first_seen_at"),
            hlsMasterPath: try c.optionalString("hls_master_path")
        )
    }
}

extension StreamRecord {
    /// Reads a `streams` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            videoID: try c.string("video_id"), index: try c.int("idx"), kind: try c.string("kind"),
            codec: try c.optionalString("codec"), profile: try c.optionalString("profile"),
            width: try c.optionalInt("width"), height: try c.optionalInt("height"),
            frameRate: try c.optionalDouble("frame_rate"), pixelFormat: try c.optionalString("pixel_format"),
            sampleRate: try c.optionalInt("sample_rate"), channels: try c.optionalInt("channels"),
            channelLayout: try c.optionalString("channel_layout"), bitRate: try c.optionalInt64("bit_rate"),
            language: try c.optionalString("language"), rotationDegrees: try c.optionalDouble("rotation_degrees"),
            detailJSON: try c.string("detail_json")
        )
    }
}

extension RenditionRecord {
    /// Reads a `renditions` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            videoID: try c.string("video_id"), name: try c.string("name"), path: try c.string("path"),
            width: try c.int("width"), height: try c.int("height"), durationSeconds: try c.optionalDouble("duration_seconds"),
            sizeBytes: try c.int64("size_bytes"), bitRate: try c.optionalInt64("bit_rate"), psnr: try c.optionalDouble("psnr"),
            ssim: try c.optionalDouble("ssim"), verified: try c.bool("verified")
        )
    }
}

extension SceneCutRecord {
    /// Reads a `scene_cuts` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(videoID: try c.string("video_id"), seconds: try c.double("seconds"),
                              score: try c.double("score"))
    }
}

extension FingerprintRecord {
    /// Reads a `fingerprints` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(videoID: try c.string("video_id"), secondsPerHash: try c.double("seconds_per_hash"),
                                 hashesHex: try c.string("hashes_hex"))
    }
}

extension JobRecord {
    /// Reads a `jobs` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            id: try c.string("id"), requestID: try c.optionalString("request_id"), origin: try c.string("origin"),
            sourcePath: try c.string("source_path"), state: try c.value("state", of: "jobs"), verdict: try c.optionalString("verdict"),
            errorCode: try c.optionalString("error_code"), errorMessage: try c.optionalString("error_message"),
            videoID: try c.optionalString("video_id"), duplicateOf: try c.optionalString("duplicate_of"),
            createdAt: try c.date("created_at"), startedAt: try c.optionalDate("started_at"),
            finishedAt: try c.optionalDate("finished_at"), logPath: try c.optionalString("log_path"),
            sidecarJSON: try c.optionalString("sidecar_json"), retryOf: try c.optionalString("retry_of"),
            worker: try c.optionalString("worker")
        )
    }
}

extension TaskRunRecord {
    /// Reads a `task_runs` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            jobID: try c.string("job_id"), task: try c.string("task"), attempt: try c.int("attempt"),
            state: try c.value("state", of: "task_runs"), startedAt: try c.optionalDate("started_at"),
            finishedAt: try c.optionalDate("finished_at"), durationMilliseconds: try c.optionalDouble("duration_ms"),
            error: try c.optionalString("error")
        )
    }
}

extension QCFindingRecord {
    /// Reads a `qc_findings` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            jobID: try c.string("job_id"), videoID: try c.optionalString("video_id"), kind: try c.string("kind"),
            severity: try c.string("severity"), message: try c.string("message"),
            startSeconds: try c.optionalDouble("start_seconds"), endSeconds: try c.optionalDouble("end_seconds")
        )
    }
}

extension NotificationRecord {
    /// Reads a `notifications` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            id: try c.string("id"), jobID: try c.string("job_id"), kind: try c.value("kind", of: "notifications"),
            recipient: try c.string("recipient"), subject: try c.string("subject"),
            state: try c.value("state", of: "notifications"),
            path: try c.optionalString("path"), createdAt: try c.date("created_at"), sentAt: try c.optionalDate("sent_at"),
            sender: try c.optionalString("sender"), message: try c.optionalString("message"), attempts: try c.int("attempts"),
            lastError: try c.optionalString("last_error"), nextAttemptAt: try c.optionalDate("next_attempt_at")
        )
    }
}
