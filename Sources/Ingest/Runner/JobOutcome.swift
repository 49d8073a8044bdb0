import Catalog
import Foundation
import Media
import Scheduler

/// How one job ended, as the CLI prints it and `--json` reports it.
public struct JobOutcome: Sendable, Codable, Equatable {
    public var jobID: String
    public var requestID: String
    public var path: String
    public var state: JobState
    public var verdict: String?
    public var errorCode: String?
    public var message: String?
    public var videoID: String?
    public var duplicateOf: String?
    public var sha256: String?
    public var durationSeconds: Double?
    /// Every policy and QC finding, with its timecodes.
    public var findings: [PolicyFinding]
    /// EBU R128 loudness; nil without audio, or when the job did not decode the file.
    public var loudness: QCLoudness?
    /// Frames decoded and expected, decode errors; nil when the job did not decode the file.
    public var decode: QCDecodeSummary?
    public var renditions: [RenditionRecord]
    /// The HLS master playlist, as the catalog's `videos.hls_master_path` names it (a path,
    /// or an `s3://` URI for a lake in object storage): where a player finds the video.
    /// Nil when the job wrote no stream.
    public var hlsMasterPath: String?
    public var notifications: [String]
    public var logPath: String
    /// False when even the catalog write failed: the request must be offered again.
    public var recorded: Bool
    /// The job this one runs again (`vidpipe retry`).
    public var retryOf: String?

    /// Accepted means the video passed (or warned) or was already known.
    public var isAccepted: Bool { state == .succeeded || state == .duplicate }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", requestID = "request_id", path, state, verdict, errorCode = "error_code", message
        case videoID = "video_id", duplicateOf = "duplicate_of", sha256, durationSeconds = "duration_seconds"
        case findings, loudness, decode, renditions, hlsMasterPath = "hls_master_path", notifications, logPath = "log_path"
        case recorded, retryOf = "retry_of"
    }
}

extension JobOutcome {
    /// The outcome of a job recorded earlier, for a redelivered request, with the findings
    /// and renditions the catalog holds (loudness and decode health live in `qc.json`).
    public static func recorded(_ job: JobRecord, in catalog: any Catalog) async throws -> JobOutcome {
        var outcome = JobOutcome(recorded: job)
        outcome.findings = try await catalog.findings(jobID: job.id).map(PolicyFinding.init(recorded:))
        if let videoID = job.videoID {
            outcome.renditions = try await catalog.renditions(videoID: videoID)
            outcome.hlsMasterPath = try await catalog.video(id: videoID)?.hlsMasterPath
        }
        outcome.notifications = try await catalog.notifications(jobID: job.id).map(\.id)
        return outcome
    }

    /// The outcome of a job recorded earlier, as its row alone tells it.
    public init(recorded job: JobRecord) {
        self.init(
            jobID: job.id, requestID: job.requestID ?? "", path: job.sourcePath, state: job.state, verdict: job.verdict,
            errorCode: job.errorCode, message: job.errorMessage, videoID: job.videoID, duplicateOf: job.duplicateOf,
            sha256: nil, durationSeconds: nil, findings: [], loudness: nil, decode: nil, renditions: [], notifications: [],
            logPath: job.logPath ?? "", recorded: true, retryOf: job.retryOf)
    }

    /// The outcome of a job whose result gold records: what its processed event and webhook say.
    init(committed result: JobResult, ticket: JobTicket) {
        let job = result.job
        self.init(
            jobID: ticket.id, requestID: ticket.request.requestID, path: ticket.request.path, state: job.state,
            verdict: job.verdict, errorCode: job.errorCode, message: job.errorMessage, videoID: job.videoID,
            duplicateOf: job.duplicateOf, sha256: result.sha256, durationSeconds: result.durationSeconds,
            findings: result.findings.map(PolicyFinding.init(recorded:)), loudness: result.loudness, decode: result.decode,
            renditions: result.renditions, hlsMasterPath: result.video?.hlsMasterPath,
            notifications: result.emails.map(\.messageID), logPath: ticket.log.path, recorded: true, retryOf: ticket.retryOf)
    }

    init(result: JobResult?, committed: Bool, goldError: (any Error)?, ticket: JobTicket, run: DAGRunResult) {
        if let result {
            self.init(committed: result, ticket: ticket)
        } else {
            let media = run.values[SilverStage.media]
            self.init(
                jobID: ticket.id, requestID: ticket.request.requestID, path: ticket.request.path, state: .failed,
                verdict: nil, errorCode: nil, message: nil, videoID: nil, duplicateOf: nil, sha256: run.values[BronzeStage.hash]?.hex,
                durationSeconds: run.values[BronzeStage.probe]?.container.durationSeconds, findings: [],
                loudness: media?.qc.loudness, decode: media?.qc.decode, renditions: [], notifications: [],
                logPath: ticket.log.path, recorded: committed, retryOf: ticket.retryOf)
        }
        if !committed {
            let (code, message) = goldError.map(IngestError.describe) ?? (IngestError.Code.internalError.rawValue, "the catalog write did not happen")
            self.state = .failed
            self.recorded = false
            self.errorCode = code
            self.message = "not recorded: \(message)"
        }
    }
}
