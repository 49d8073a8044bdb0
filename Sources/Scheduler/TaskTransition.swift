import Foundation
import Synchronization

/// The lifecycle state of a task within one run.
public enum TaskState: String, Sendable, Hashable, Codable {
    /// All inputs are available; waiting to start (including the wait for a CPU permit).
    case queued
    /// An attempt is executing.
    case running
    /// An attempt failed with a retryable error; waiting for the backoff delay.
    case retrying
    case succeeded
    /// Failed after its last attempt, or with a non-retryable error.
    case failed
    /// Not run because an upstream task failed or threw ``SkipDownstream``; or threw it itself.
    case skipped
    /// The run was cancelled before the task finished.
    case cancelled

    /// Whether the task has reached its final state for the run.
    public var isFinal: Bool {
        switch self {
        case .succeeded, .failed, .skipped, .cancelled: true
        case .queued, .running, .retrying: false
        }
    }
}

/// One state change of one task, delivered to the run's observer as it happens.
public struct TaskTransition: Sendable, Hashable, Codable {
    public let task: String
    public let state: TaskState
    /// The attempt the transition belongs to (1-based); 0 for tasks that never started.
    public let attempt: Int
    /// Wall-clock time of the transition.
    public let at: Date
    /// Time spent in the task's previous state (e.g. on `succeeded`: the attempt's running time;
    /// on `running`: the wait while queued); `nil` on a task's first transition.
    public let duration: Duration?
    /// For `failed` and `retrying`: the error description; for `skipped` and `cancelled`: the reason.
    public let detail: String?
    /// For `failed` and `retrying`: the error's code (`timed_out`, `no_streams`), or its type
    /// name when it has none, for counting failures by kind.
    public let errorCode: String?
}

/// Per-task state clock: stamps transitions with wall time and the duration of the previous state.
struct TaskStateClock {
    let task: String
    private var enteredPreviousState: ContinuousClock.Instant?

    init(task: String, enteredPreviousState: ContinuousClock.Instant? = nil) {
        self.task = task
        self.enteredPreviousState = enteredPreviousState
    }

    mutating func transition(to state: TaskState, attempt: Int, detail: String? = nil, error: (any Error)? = nil) -> TaskTransition {
        let now = ContinuousClock.now
        defer { enteredPreviousState = now }
        return TaskTransition(
            task: task, state: state, attempt: attempt, at: Date(),
            duration: enteredPreviousState.map { now - $0 },
            detail: detail ?? error.map { String(describing: $0) },
            errorCode: error.map { $0.codeName }
        )
    }
}

/// Collects the transitions of a run for its result and forwards each to the caller's observer.
final class TransitionRecorder: Sendable {
    private let observer: @Sendable (TaskTransition) -> Void
    private let log = Mutex<[TaskTransition]>([])

    init(expectedCount: Int, observer: @escaping @Sendable (TaskTransition) -> Void) {
        self.observer = observer
        log.withLock { $0.reserveCapacity(expectedCount) }
    }

    func record(_ transition: TaskTransition) {
        log.withLock { $0.append(transition) }
        observer(transition)
    }

    var transitions: [TaskTransition] { log.withLock { $0 } }
}
