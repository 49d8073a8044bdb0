import Foundation
import SQLiteNIO

/// Typed, checked access to a row's columns; a value of the wrong type is a
/// ``CatalogError/Code/corruptRow``, never a silent default.
struct SQLiteColumns {
    let row: SQLiteRow
    let table: String

    private func value(_ name: String) throws -> SQLiteData {
        guard let value = row.column(name) else { throw corrupt(name, "is missing") }
        return value
    }

    private func corrupt(_ name: String, _ problem: String) -> CatalogError {
        CatalogError(.corruptRow, "\(table).\(name) \(problem)")
    }

    func optionalString(_ name: String) throws -> String? {
        switch try value(name) {
        case .null: return nil
        case .text(let text): return text
        default: throw corrupt(name, "is not text")
        }
    }

    func string(_ name: String) throws -> String {
        guard let text = try optionalString(name) else { throw corrupt(name, "is null") }
        return text
    }

    func optionalInt64(_ name: String) throws -> Int64? {
        switch try value(name) {
        case .null: return nil
        case .integer(let integer): return Int64(integer)
        default: throw corrupt(name, "is not an integer")
        }
    }

    func int64(_ name: String) throws -> Int64 {
        guard let integer = try optionalInt64(name) else { throw corrupt(name, "is null") }
        return integer
    }

    func optionalInt(_ name: String) throws -> Int? {
        try optionalInt64(name).map { Int($0) }
    }

    func int(_ name: String) throws -> Int {
        Int(try int64(name))
    }

    func optionalDouble(_ name: String) throws -> Double? {
        switch try value(name) {
        case .null: return nil
        case .float(let double): return double
        case .integer(let integer): return Double(integer)
        default: throw corrupt(name, "is not a number")
        }
    }

    func double(_ name: String) throws -> Double {
        guard let value = try optionalDouble(name) else { throw corrupt(name, "is NULL") }
        return value
    }

    func optionalDate(_ name: String) throws -> Date? {
        guard let text = try optionalString(name) else { return nil }
        guard let date = CatalogTimestamp.date(text) else { throw corrupt(name, "is not a timestamp: \(text)") }
        return date
    }

    func date(_ name: String) throws -> Date {
        guard let date = try optionalDate(name) else { throw corrupt(name, "is null") }
        return date
    }
}

extension SQLiteData {
    init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    init(_ value: Int?) { self = value.map { .integer(SQLiteInt64($0)) } ?? .null }
    init(_ value: Int64?) { self = value.map { .integer(SQLiteInt64($0)) } ?? .null }
    init(_ value: Double?) { self = value.map { .float($0) } ?? .null }
    init(_ value: Date?) { self = value.map { .text(CatalogTimestamp.text($0)) } ?? .null }
}

extension SQLiteCatalog {
    static func videoRecord(_ row: SQLiteRow) throws -> VideoRecord {
        let c = SQLiteColumns(row: row, table: "videos")
        return VideoRecord(
            id: try c.string("id"), contentSHA256: try c.string("content_sha256"),
            originalName: try c.string("original_name"), sourcePath: try c.string("source_path"),
            bronzePath: try c.string("bronze_path"), sizeBytes: try c.int64("size_bytes"),
            container: try c.optionalString("container"), durationSeconds: try c.optionalDouble("duration_seconds"),
            bitRate: try c.optionalInt64("bit_rate"), width: try c.optionalInt("width"),
            height: try c.optionalInt("height"), videoCodec: try c.optionalString("video_codec"),
            audioCodec: try c.optionalString("audio_codec"), probeJSON: try c.string("probe_json"),
            sidecarJSON: try c.optionalString("sidecar_json"), firstSeenAt: try c.date("first_seen_at")
        )
    }

    static func streamRecord(_ row: SQLiteRow) throws -> StreamRecord {
        let c = SQLiteColumns(row: row, table: "streams")
        return StreamRecord(
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

    static func renditionRecord(_ row: SQLiteRow) throws -> RenditionRecord {
        let c = SQLiteColumns(row: row, table: "renditions")
        return RenditionRecord(
            videoID: try c.string("video_id"), name: try c.string("name"), path: try c.string("path"),
            width: try c.int("width"), height: try c.int("height"), durationSeconds: try c.optionalDouble("duration_seconds"),
            sizeBytes: try c.int64("size_bytes"), bitRate: try c.optionalInt64("bit_rate"), psnr: try c.optionalDouble("psnr"),
            ssim: try c.optionalDouble("ssim"), verified: try c.int("verified") != 0
        )
    }

    static func sceneCutRecord(_ row: SQLiteRow) throws -> SceneCutRecord {
        let c = SQLiteColumns(row: row, table: "scene_cuts")
        return SceneCutRecord(videoID: try c.string("video_id"), seconds: try c.double("seconds"),
                              score: try c.double("score"))
    }

    static func fingerprintRecord(_ row: SQLiteRow) throws -> FingerprintRecord {
        let c = SQLiteColumns(row: row, table: "fingerprints")
        return FingerprintRecord(videoID: try c.string("video_id"), secondsPerHash: try c.double("seconds_per_hash"),
                                 hashesHex: try c.string("hashes_hex"))
    }

    static func jobRecord(_ row: SQLiteRow) throws -> JobRecord {
        let c = SQLiteColumns(row: row, table: "jobs")
        let stateText = try c.string("state")
        guard let state = JobState(rawValue: stateText) else {
            throw CatalogError(.corruptRow, "jobs.state has unknown value \(stateText)")
        }
        return JobRecord(
            id: try c.string("id"), requestID: try c.optionalString("request_id"), origin: try c.string("origin"),
            sourcePath: try c.string("source_path"), state: state, verdict: try c.optionalString("verdict"),
            errorCode: try c.optionalString("error_code"), errorMessage: try c.optionalString("error_message"),
            videoID: try c.optionalString("video_id"), duplicateOf: try c.optionalString("duplicate_of"),
            createdAt: try c.date("created_at"), startedAt: try c.optionalDate("started_at"),
            finishedAt: try c.optionalDate("finished_at"), logPath: try c.optionalString("log_path")
        )
    }

    static func taskRunRecord(_ row: SQLiteRow) throws -> TaskRunRecord {
        let c = SQLiteColumns(row: row, table: "task_runs")
        return TaskRunRecord(
            jobID: try c.string("job_id"), task: try c.string("task"), attempt: try c.int("attempt"),
            state: try c.string("state"), startedAt: try c.optionalDate("started_at"),
            finishedAt: try c.optionalDate("finished_at"), durationMilliseconds: try c.optionalDouble("duration_ms"),
            error: try c.optionalString("error")
        )
    }

    static func findingRecord(_ row: SQLiteRow) throws -> QCFindingRecord {
        let c = SQLiteColumns(row: row, table: "qc_findings")
        return QCFindingRecord(
            jobID: try c.string("job_id"), videoID: try c.optionalString("video_id"), kind: try c.string("kind"),
            severity: try c.string("severity"), message: try c.string("message"),
            startSeconds: try c.optionalDouble("start_seconds"), endSeconds: try c.optionalDouble("end_seconds")
        )
    }

    static func notificationRecord(_ row: SQLiteRow) throws -> NotificationRecord {
        let c = SQLiteColumns(row: row, table: "notifications")
        return NotificationRecord(
            id: try c.string("id"), jobID: try c.string("job_id"), kind: try c.string("kind"),
            recipient: try c.string("recipient"), subject: try c.string("subject"), state: try c.string("state"),
            path: try c.optionalString("path"), createdAt: try c.date("created_at"), sentAt: try c.optionalDate("sent_at"),
            sender: try c.optionalString("sender"), message: try c.optionalString("message"), attempts: try c.int("attempts"),
            lastError: try c.optionalString("last_error"), nextAttemptAt: try c.optionalDate("next_attempt_at")
        )
    }
}
