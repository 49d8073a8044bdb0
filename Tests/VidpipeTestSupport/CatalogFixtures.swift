import Catalog
import Foundation

/// Gold-layer records for catalog tests: a batch with every record type, and the dates and
/// hashes they are made of.
public enum CatalogFixtures {
    /// `SELECT count(*) FROM schema_migrations` once a process has migrated a catalog fully:
    /// before that, a query on a table a later migration adds fails for a reason of timing.
    public static let migratedCount = ["\(Migration.all.count)"]

    /// A date with whole microseconds, the precision both catalogs keep.
    public static func date(_ secondsSince1970: Double) -> Date {
        Date(timeIntervalSince1970: (secondsSince1970 * 1_000_000).rounded() / 1_000_000)
    }

    /// A 64-character string shaped like a SHA-256 hex digest.
    public static func sha256Like(_ seed: Character) -> String {
        String(repeating: seed, count: 64)
    }

    /// A batch with every record type (silver ones included), a mix of set and nil
    /// optionals, non-ASCII text and JSON whose spacing must survive.
    public static func batch(
        jobID: String = "job-1", requestID: String? = "req-1", videoID: String = "11111111-1111-1111-1111-111111111111",
        contentHash: String = sha256Like("a"), originalName: String = "clip.mp4", sourcePath: String = "/inbox/clip.mp4",
        createdAt: Date = date(1_700_000_000.123456)
    ) -> GoldBatch {
        // Offsets computed in seconds, then rounded, so every date has whole microseconds.
        func at(_ offset: Double) -> Date { date(createdAt.timeIntervalSince1970 + offset) }
        let video = VideoRecord(
            id: videoID, contentSHA256: contentHash, originalName: originalName, sourcePath: sourcePath,
            bronzePath: "/lake/bronze/\(contentHash).mp4", sizeBytes: 5_000_000_000, container: "mov,mp4,m4a,3gp,3g2,mj2",
            durationSeconds: 12.345, bitRate: 8_000_000, width: 1920, height: 1080, videoCodec: "h264", audioCodec: "aac",
            probeJSON: #"{"format":{"duration":"12.345"},"ünïcode":"✓"}"#, sidecarJSON: #"{"title": "Clip",  "tags":["a"]}"#,
            firstSeenAt: createdAt, hlsMasterPath: "/lake/silver/\(videoID)/hls/master.m3u8"
        )
        let job = JobRecord(
            id: jobID, requestID: requestID, origin: "kafka", sourcePath: sourcePath, state: .succeeded, verdict: "warn",
            videoID: videoID, createdAt: createdAt, startedAt: at(0.5), finishedAt: at(9.25), logPath: "/lake/logs/\(jobID).log"
        )
        return GoldBatch(
            video: video, streams: streams(videoID), job: job,
            taskRuns: [
                TaskRunRecord(jobID: jobID, task: "probe", attempt: 1, state: .retrying, startedAt: createdAt,
                              finishedAt: at(1), durationMilliseconds: 1000, error: "busy"),
                TaskRunRecord(jobID: jobID, task: "probe", attempt: 2, state: .succeeded, startedAt: at(2),
                              finishedAt: at(3), durationMilliseconds: 1000.5),
                TaskRunRecord(jobID: jobID, task: "qc", attempt: 0, state: .skipped),
            ],
            findings: [
                QCFindingRecord(jobID: jobID, videoID: videoID, kind: "qc.black", severity: "warn", message: "black 1.0–2.5 s",
                                startSeconds: 1.0, endSeconds: 2.5),
                QCFindingRecord(jobID: jobID, kind: "policy.container", severity: "info", message: "mp4 accepted"),
            ],
            notifications: [
                NotificationRecord(
                    id: "<\(jobID).ready@vidpipe>", jobID: jobID, kind: .ready, recipient: "ops@example.com",
                    subject: "Ready: clip.mp4 ✓", state: .pending, createdAt: at(9.5), sender: "vidpipe@localhost",
                    message: "Subject: Ready\r\n\r\nbody\r\n"
                ),
            ],
            renditions: renditions(videoID), sceneCuts: [
                SceneCutRecord(videoID: videoID, seconds: 2.0, score: 31.5), SceneCutRecord(videoID: videoID, seconds: 4.04, score: 18),
            ],
            fingerprint: FingerprintRecord(videoID: videoID, secondsPerHash: 1, hashesHex: "00ff00ff00ff00ffa5a5a5a5a5a5a5a5")
        )
    }

    private static func streams(_ videoID: String) -> [StreamRecord] {
        [
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
    }

    private static func renditions(_ videoID: String) -> [RenditionRecord] {
        [
            RenditionRecord(videoID: videoID, name: "720p", path: "/lake/silver/\(videoID)/720p.mp4", width: 1280, height: 720,
                            durationSeconds: 12.3, sizeBytes: 4_000_000, bitRate: 2_600_000, psnr: 41.5, ssim: 0.985, verified: true),
            RenditionRecord(videoID: videoID, name: "360p", path: "/lake/silver/\(videoID)/360p.mp4", width: 640, height: 360,
                            durationSeconds: 12.3, sizeBytes: 900_000, bitRate: 580_000, psnr: nil, ssim: nil, verified: false),
        ]
    }
}
