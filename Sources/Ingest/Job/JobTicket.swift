import Catalog
import Foundation
import Scheduler

/// Where a request came from.
public enum JobOrigin: String, Sendable, Codable {
    /// `vidpipe process FILE`: the user's explicit choice, not confined to allowed roots.
    case cli
    /// A request file in the embedded inbox.
    case inbox
    /// A Kafka message (service mode).
    case kafka

    /// Requests from the outside must resolve inside the allowed roots.
    public var isConfined: Bool { self != .cli }
}

/// One job's identity and per-job state, handed to the DAG as its external input.
public final class JobTicket: Sendable {
    /// The DAG input every stage may read.
    public static let artifact = Artifact<JobTicket>("ticket")

    public let id: String
    public let request: IngestRequest
    public let origin: JobOrigin
    public let createdAt: Date
    /// The failed or rejected job this one runs again, for `vidpipe retry`.
    public let retryOf: String?
    public let log: JobLog
    let runs = TaskRunRecorder()

    init(request: IngestRequest, origin: JobOrigin, retryOf: String? = nil, logDirectory: String) {
        self.id = UUID().uuidString.lowercased()
        self.request = request
        self.origin = origin
        self.retryOf = retryOf
        self.createdAt = Date()
        self.log = JobLog(directory: logDirectory, jobID: id, requestID: request.requestID, date: createdAt)
    }

    /// The scheduler's observer: every transition goes to the job log and the task-run record.
    func observe(_ transition: TaskTransition) {
        runs.record(transition, jobID: id)
        log.write("task.\(transition.state.rawValue)", task: transition.task, attempt: transition.attempt,
                  durationMilliseconds: transition.duration.map(\.milliseconds),
                  errorCode: transition.errorCode, error: transition.detail)
    }
}
