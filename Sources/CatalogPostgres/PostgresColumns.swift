import Catalog
import Foundation
import PostgresNIO

/// Typed, checked access to a row's columns; a missing column or a value of the wrong type is
/// a ``CatalogError/Code/corruptRow``, never a silent default or a crash.
struct PostgresColumns {
    let row: PostgresRandomAccessRow
    let table: String

    private func value<T: PostgresDecodable>(_ name: String, as type: T.Type) throws -> T {
        // The subscript traps on an unknown name; check first.
        guard row.contains(name) else { throw CatalogError(.corruptRow, "\(table).\(name) is missing") }
        do {
            return try row[name].decode(T.self)
        } catch {
            let reason = (error as? PostgresDecodingError).map { "\($0.code)" } ?? "\(error)"
            throw CatalogError(.corruptRow, "\(table).\(name) cannot be read as \(T.self): \(reason)")
        }
    }

    func string(_ name: String) throws -> String { try value(name, as: String.self) }
    func optionalString(_ name: String) throws -> String? { try value(name, as: String?.self) }
    func int(_ name: String) throws -> Int { try value(name, as: Int.self) }
    func optionalInt(_ name: String) throws -> Int? { try value(name, as: Int?.self) }
    func int64(_ name: String) throws -> Int64 { try value(name, as: Int64.self) }
    func optionalInt64(_ name: String) throws -> Int64? { try value(name, as: Int64?.self) }
    func double(_ name: String) throws -> Double { try value(name, as: Double.self) }
    func optionalDouble(_ name: String) throws -> Double? { try value(name, as: Double?.self) }
    func bool(_ name: String) throws -> Bool { try value(name, as: Bool.self) }
    func date(_ name: String) throws -> Date { try value(name, as: PostgresTimestamp.self).date }
    func optionalDate(_ name: String) throws -> Date? { try value(name, as: PostgresTimestamp?.self)?.date }
}

extension PostgresCatalog {
    static func videoRecord(_ row: PostgresRandomAccessRow) throws -> VideoRecord {
        let c = PostgresColumns(row: row, table: "videos")
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

    static func streamRecord(_ row: PostgresRandomAccessRow) throws -> StreamRecord {
        let c = PostgresColumns(row: row, table: "streams")
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

    static func renditionRecord(_ row: PostgresRandomAccessRow) throws -> RenditionRecord {
        let c = PostgresColumns(row: row, table: "renditions")
        return RenditionRecord(
            videoID: try c.string("video_id"), name: try c.string("name"), path: try c.string("path"),
            width: try c.int("width"), height: try c.int("height"), durationSeconds: try c.optionalDouble("duration_seconds"),
            sizeBytes: try c.int64("size_bytes"), bitRate: try c.optionalInt64("bit_rate"), psnr: try c.optionalDouble("psnr"),
            ssim: try c.optionalDouble("ssim"), verified: try c.bool("verified")
        )
    }

    static func sceneCutRecord(_ row: PostgresRandomAccessRow) throws -> SceneCutRecord {
        let c = PostgresColumns(row: row, table: "scene_cuts")
        return SceneCutRecord(videoID: try c.string("video_id"), seconds: try c.double("seconds"), score: try c.double("score"))
    }

    static func fingerprintRecord(_ row: PostgresRandomAccessRow) throws -> FingerprintRecord {
        let c = PostgresColumns(row: row, table: "fingerprints")
        return FingerprintRecord(videoID: try c.string("video_id"), secondsPerHash: try c.double("seconds_per_hash"),
                                 hashesHex: try c.string("hashes_hex"))
    }

    static func jobRecord(_ row: PostgresRandomAccessRow) throws -> JobRecord {
        let c = PostgresColumns(row: row, table: "jobs")
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

    static func taskRunRecord(_ row: PostgresRandomAccessRow) throws -> TaskRunRecord {
        let c = PostgresColumns(row: row, table: "task_runs")
        return TaskRunRecord(
            jobID: try c.string("job_id"), task: try c.string("task"), attempt: try c.int("attempt"),
            state: try c.string("state"), startedAt: try c.optionalDate("started_at"),
            finishedAt: try c.optionalDate("finished_at"), durationMilliseconds: try c.optionalDouble("duration_ms"),
            error: try c.optionalString("error")
        )
    }

    static func findingRecord(_ row: PostgresRandomAccessRow) throws -> QCFindingRecord {
        let c = PostgresColumns(row: row, table: "qc_findings")
        return QCFindingRecord(
            jobID: try c.string("job_id"), videoID: try c.optionalString("video_id"), kind: try c.string("kind"),
            severity: try c.string("severity"), message: try c.string("message"),
            startSeconds: try c.optionalDouble("start_seconds"), endSeconds: try c.optionalDouble("end_seconds")
        )
    }

    static func notificationRecord(_ row: PostgresRandomAccessRow) throws -> NotificationRecord {
        let c = PostgresColumns(row: row, table: "notifications")
        return NotificationRecord(
            id: try c.string("id"), jobID: try c.string("job_id"), kind: try c.string("kind"),
            recipient: try c.string("recipient"), subject: try c.string("subject"), state: try c.string("state"),
            path: try c.optionalString("path"), createdAt: try c.date("created_at"), sentAt: try c.optionalDate("sent_at"),
            sender: try c.optionalString("sender"), message: try c.optionalString("message"), attempts: try c.int("attempts"),
            lastError: try c.optionalString("last_error"), nextAttemptAt: try c.optionalDate("next_attempt_at")
        )
    }
}
