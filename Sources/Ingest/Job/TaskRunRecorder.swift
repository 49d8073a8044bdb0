import Catalog
import Foundation
import Scheduler
import Synchronization

/// Turns scheduler transitions into catalog task-run rows: one row per finished attempt.
final class TaskRunRecorder: Sendable {
    private struct State {
        var startedAt: [String: Date] = [:]
        var finished: [TaskRunRecord] = []
    }
    private let state = Mutex(State())

    func record(_ transition: TaskTransition, jobID: String) {
        let finished: TaskRunState
        switch transition.state {
        case .queued: return
        case .running:
            state.withLock { $0.startedAt[transition.task] = transition.at }
            return
        case .succeeded: finished = .succeeded
        case .failed: finished = .failed
        case .retrying: finished = .retrying
        case .skipped: finished = .skipped
        case .cancelled: finished = .cancelled
        }
        state.withLock { state in
            let started = state.startedAt.removeValue(forKey: transition.task)
            state.finished.append(TaskRunRecord(
                jobID: jobID, task: transition.task, attempt: transition.attempt, state: finished,
                startedAt: started, finishedAt: transition.at,
                durationMilliseconds: started.map { transition.at.timeIntervalSince($0) * 1000 },
                error: transition.detail))
        }
    }

    func all() -> [TaskRunRecord] { state.withLock { $0.finished } }

    /// Drops the rows of `tasks`: the gold tasks skipped by a stopped job run again, alone.
    func forget(tasks: [String]) {
        state.withLock { state in state.finished.removeAll { tasks.contains($0.task) } }
    }
}
