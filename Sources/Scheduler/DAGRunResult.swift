/// A task's error after its last attempt.
public struct TaskFailure: Sendable {
    public let task: String
    public let error: any Error
}

/// Summary of one task in a run, derived from its transitions.
public struct TaskRunSummary: Sendable, Hashable {
    public let state: TaskState
    /// Attempts started; 0 if the task never ran.
    public let attempts: Int
    /// Total time spent running, over all attempts.
    public let runningTime: Duration
    /// Error description or skip/cancel reason of the final state.
    public let detail: String?
}

/// Outcome of ``TaskScheduler/run(_:inputs:observer:)``.
public struct DAGRunResult: Sendable {
    /// External inputs and every artifact produced by a succeeded task.
    public let values: ArtifactValues
    /// Final state and totals per task name.
    public let tasks: [String: TaskRunSummary]
    /// Every transition in the order it was recorded.
    public let transitions: [TaskTransition]
    /// Failed tasks in topological order, so `failures.first` is the root cause.
    public let failures: [TaskFailure]
    /// The reason of the first ``SkipDownstream`` thrown, in topological order.
    public let skipReason: String?
    /// Whether the run was cancelled before every task finished.
    public let wasCancelled: Bool
    /// Wall time of the whole run.
    public let duration: Duration

    /// No task failed and the run was not cancelled; branches stopped by ``SkipDownstream`` still count as success.
    public var succeeded: Bool { failures.isEmpty && !wasCancelled }

    /// Final state per task name.
    public var states: [String: TaskState] { tasks.mapValues(\.state) }

    init(values: ArtifactValues, transitions: [TaskTransition], failures: [TaskFailure],
         skipReason: String?, wasCancelled: Bool, duration: Duration) {
        self.values = values
        self.transitions = transitions
        self.failures = failures
        self.skipReason = skipReason
        self.wasCancelled = wasCancelled
        self.duration = duration

        var tasks: [String: TaskRunSummary] = [:]
        for transition in transitions {
            let previous = tasks[transition.task]
            let ranFor = (transition.state != .running && previous?.state == .running) ? (transition.duration ?? .zero) : .zero
            tasks[transition.task] = TaskRunSummary(
                state: transition.state,
                attempts: transition.state == .running ? transition.attempt : (previous?.attempts ?? 0),
                runningTime: (previous?.runningTime ?? .zero) + ranFor,
                detail: transition.detail
            )
        }
        self.tasks = tasks
    }
}
