import Foundation
@testable import Catalog

/// A fresh folder per test, removed when the value is released by `withTemporaryFolder`.
func withTemporaryFolder<T>(_ body: (String) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-catalog-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try await body(folder)
}

/// Opens and migrates a catalog in `folder` (in a sub folder, to exercise folder creation).
func openCatalog(in folder: String) async throws -> SQLiteCatalog {
    let catalog = try await SQLiteCatalog(path: folder + "/db/catalog.sqlite")
    try await catalog.migrate()
    return catalog
}

/// Whole microseconds, the precision the catalog keeps.
func timestamp(_ secondsSince1970: Double) -> Date {
    Date(timeIntervalSince1970: (secondsSince1970 * 1_000_000).rounded() / 1_000_000)
}

func sha256Like(_ seed: Character) -> String { String(repeating: seed, count: 64) }

/// A batch with every record type and a mix of set and nil optionals.
func sampleBatch(
    jobID: String = "job-1", requestID: String? = "req-1", videoID: String = "11111111-1111-1111-1111-111111111111",
    contentHash: String = sha256Like("a"), originalName: String = "clip.mp4", sourcePath: String = "/inbox/clip.mp4",
    createdAt: Date = timestamp(1_700_000_000.123456)
) -> GoldBatch {
    // Offsets computed in seconds, then rounded, so every date has whole microseconds.
    func at(_ offset: Double) -> Date { timestamp(createdAt.timeIntervalSince1970 + offset) }
    let video = VideoRecord(
        id: videoID, contentSHA256: contentHash, originalName: originalName, sourcePath: sourcePath,
        bronzePath: "/lake/bronze/\(contentHash).mp4", sizeBytes: 5_000_000_000, container: "mov,mp4,m4a,3gp,3g2,mj2",
        durationSeconds: 12.345, bitRate: 8_000_000, width: 1920, height: 1080, videoCodec: "h264", audioCodec: "aac",
        probeJSON: #"{"format":{"duration":"12.345"},"ünïcode":"✓"}"#, sidecarJSON: nil,
        firstSeenAt: createdAt
    )
    let streams = [
        StreamRecord(
            videoID: videoID, index: 0, kind: "video", codec: "h264", profile: "High", width: 1920, height: 1080,
            frameRate: 30000.0 / 1001.0, pixelFormat: "yuv420p", bitRate: 7_800_000, language: "und",
            rotationDegrees: -90, detailJSON: #"{"level":40}"#
        ),
        StreamRecord(
            videoID: videoID, index: 1, kind: "audio", codec: "aac", profile: "LC", sampleRate: 48_000, channels: 2,
            channelLayout: "stereo", bitRate: 192_000, language: "eng"
        ),
    ]
    let job = JobRecord(
        id: jobID, requestID: requestID, origin: "kafka", sourcePath: sourcePath, state: .succeeded, verdict: "warn",
        videoID: videoID, createdAt: createdAt, startedAt: at(0.5),
        finishedAt: at(9.25), logPath: "/lake/logs/\(jobID).log"
    )
    let taskRuns = [
        TaskRunRecord(
            jobID: jobID, task: "probe", attempt: 1, state: "failed", startedAt: createdAt,
            finishedAt: at(1), durationMilliseconds: 1000, error: "busy"
        ),
        TaskRunRecord(
            jobID: jobID, task: "probe", attempt: 2, state: "succeeded", startedAt: at(2),
            finishedAt: at(3), durationMilliseconds: 1000.5
        ),
        TaskRunRecord(jobID: jobID, task: "qc", state: "skipped"),
    ]
    let findings = [
        QCFindingRecord(jobID: jobID, videoID: videoID, kind: "qc.black", severity: "warn", message: "black 1.0–2.5 s",
                        startSeconds: 1.0, endSeconds: 2.5),
        QCFindingRecord(jobID: jobID, kind: "policy.container", severity: "info", message: "mp4 accepted"),
    ]
    let notifications = [
        NotificationRecord(
            id: "<\(jobID).ready@vidpipe>", jobID: jobID, kind: "ready", recipient: "ops@example.com",
            subject: "Ready: clip.mp4 ✓", state: "sent", path: "/lake/outbox/\(jobID).ready@vidpipe.eml",
            createdAt: at(9.5), sentAt: at(9.6)
        ),
    ]
    return GoldBatch(video: video, streams: streams, job: job, taskRuns: taskRuns, findings: findings,
                     notifications: notifications)
}

/// Runs the sqlite3 CLI against `path` and returns its output lines: an oracle independent of
/// sqlite-nio.
func sqlite3(_ path: String, _ sql: String) throws -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: sqlite3Path)
    process.arguments = [path, sql]
    // Output to a file, not a pipe: Foundation's pipe reads crash on EINTR from other tests'
    // SIGCHLD.
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-sqlite3-\(UUID().uuidString)").path
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    defer {
        try? output.close()
        try? FileManager.default.removeItem(atPath: outputPath)
    }
    process.standardOutput = output
    try process.run()
    process.waitUntilExit()
    let data = FileManager.default.contents(atPath: outputPath) ?? Data()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}

let sqlite3Path = "/usr/bin/sqlite3"
let sqlite3Available = FileManager.default.isExecutableFile(atPath: sqlite3Path)
