import Catalog
import Foundation
import Scheduler
import Synchronization

/// Where a request came from.
public enum JobOrigin: String, Sendable, Codable {
    /// `vidpipe process FILE`: the user's explicit choice, not confined to allowed roots.
    case cli
    /// A request file in the embedded inbox.
    case inbox
    /// A Kafka message (service mode).
    case kafka

    /// Requests from the outside must resolve inside the allowed roots.
    var isConfined: Bool { self != .cli }
}

/// One job's identity and per-job state, handed to the DAG as its external input.
public final class JobTicket: Sendable {
    public let id: String
    public let request: IngestRequest
    public let origin: JobOrigin
    public let createdAt: Date
    public let log: JobLog
    let runs = TaskRunRecorder()
    /// The content hash this job claimed in dedup, released when the job ends.
    let claimedHash = Mutex<ContentHash?>(nil)

    init(request: IngestRequest, origin: JobOrigin, logDirectory: String) {
        self.id = UUID().uuidString.lowercased()
        self.request = request
        self.origin = origin
        self.createdAt = Date()
        self.log = JobLog(directory: logDirectory, jobID: id, date: createdAt)
    }

    /// The scheduler's observer: every transition goes to the job log and the task-run record.
    func observe(_ transition: TaskTransition) {
        runs.record(transition, jobID: id)
        log.write("task.\(transition.state.rawValue)", task: transition.task, attempt: transition.attempt,
                  durationMilliseconds: transition.duration.map(\.milliseconds),
                  errorCode: transition.errorType, error: transition.detail)
    }
}

/// Turns scheduler transitions into catalog task-run rows: one row per finished attempt.
final class TaskRunRecorder: Sendable {
    private struct State {
        var startedAt: [String: Date] = [:]
        var finished: [TaskRunRecord] = []
    }
    private let state = Mutex(State())

    func record(_ transition: TaskTransition, jobID: String) {
        state.withLock { state in
            switch transition.state {
            case .queued:
                break
            case .running:
                state.startedAt[transition.task] = transition.at
            case .succeeded, .failed, .retrying, .skipped, .cancelled:
                guard let runState = TaskRunState(rawValue: transition.state.rawValue) else { return }
                let started = state.startedAt.removeValue(forKey: transition.task)
                state.finished.append(TaskRunRecord(
                    jobID: jobID, task: transition.task, attempt: transition.attempt, state: runState,
                    startedAt: started, finishedAt: transition.at,
                    durationMilliseconds: started.map { transition.at.timeIntervalSince($0) * 1000 },
                    error: transition.detail))
            }
        }
    }

    func all() -> [TaskRunRecord] { state.withLock { $0.finished } }

    /// Drops the rows of `tasks`: the gold tasks skipped by a stopped job run again, alone.
    func forget(tasks: [String]) {
        state.withLock { state in state.finished.removeAll { tasks.contains($0.task) } }
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
