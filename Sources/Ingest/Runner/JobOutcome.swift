import Catalog
import Foundation
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
    public var findings: [String]
    public var notifications: [String]
    public var logPath: String
    /// False when even the catalog write failed: the request must be offered again.
    public var recorded: Bool

    /// Accepted means the video passed (or warned) or was already known.
    public var isAccepted: Bool { state == .succeeded || state == .duplicate }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", requestID = "request_id", path, state, verdict, errorCode = "error_code", message
        case videoID = "video_id", duplicateOf = "duplicate_of", sha256, durationSeconds = "duration_seconds"
        case findings, notifications, logPath = "log_path", recorded
    }
}

extension JobOutcome {
    /// The outcome of a job recorded earlier, for a redelivered request.
    public init(recorded job: JobRecord) {
        self.init(
            jobID: job.id, requestID: job.requestID ?? "", path: job.sourcePath, state: job.state, verdict: job.verdict,
            errorCode: job.errorCode, message: job.errorMessage, videoID: job.videoID, duplicateOf: job.duplicateOf,
            sha256: nil, durationSeconds: nil, findings: [], notifications: [], logPath: job.logPath ?? "", recorded: true)
    }

    init(result: JobResult?, committed: Bool, goldError: (any Error)?, ticket: JobTicket, run: DAGRunResult) {
        let job = result?.job
        self.init(
            jobID: ticket.id, requestID: ticket.request.requestID, path: ticket.request.path,
            state: committed ? (job?.state ?? .failed) : .failed,
            verdict: job?.verdict, errorCode: job?.errorCode, message: job?.errorMessage,
            videoID: job?.videoID, duplicateOf: job?.duplicateOf, sha256: run.values[BronzeStage.hash]?.hex,
            durationSeconds: run.values[BronzeStage.probe]?.container.durationSeconds,
            findings: result?.findings.map { "\($0.severity): \($0.message)" } ?? [],
            notifications: result?.emails.map(\.messageID) ?? [],
            logPath: ticket.log.path, recorded: committed)
        if !committed {
            let (code, message) = goldError.map(IngestError.describe) ?? (IngestError.Code.internalError.rawValue, "the catalog write did not happen")
            self.errorCode = code
            self.message = "not recorded: \(message)"
        }
    }
}
