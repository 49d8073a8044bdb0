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
