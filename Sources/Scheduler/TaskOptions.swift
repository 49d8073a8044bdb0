import Execution

/// Per-node execution options.
public struct TaskOptions: Sendable {
    /// How failed attempts are retried. Default: `.none` (one attempt).
    public var retry: RetryPolicy
    /// Limit for a single attempt, not counting the wait for a CPU permit. Default: `nil` (no limit).
    /// A timed-out attempt fails with ``TaskExecutionError/Code-swift.struct/timedOut``, which is retryable.
    public var timeout: Duration?
    /// Which shared limiter the node needs. Default: `.light` (none).
    public var resource: ResourceClass
    /// Memory each attempt holds from a shared budget. Default: `nil` (none).
    public var memory: MemoryDemand?

    public init(retry: RetryPolicy = .none, timeout: Duration? = nil, resource: ResourceClass = .light,
                memory: MemoryDemand? = nil) {
        self.retry = retry
        self.timeout = timeout
        self.resource = resource
        self.memory = memory
    }
}

/// Memory a task holds from a shared budget (a ``WeightedSemaphore`` of bytes) while an
/// attempt runs, estimated from one of the task's inputs.
///
/// Reserved before the CPU permit, so a task waiting for memory holds no CPU permit, and
/// outside the attempt's timeout; given back when the attempt ends, however it ends.
public struct MemoryDemand: Sendable {
    /// The bytes shared by every task with a demand on it.
    public let budget: WeightedSemaphore
    /// The artifact whose value the estimate reads; must be one of the task's inputs.
    let inputName: String
    let estimate: @Sendable (any Sendable) -> Int

    /// - Parameter estimate: the bytes an attempt will hold at its peak, given the value of
    ///   `input`; more than the whole budget makes the task run alone.
    public init<Value>(budget: WeightedSemaphore, estimatedFrom input: Artifact<Value>,
                       _ estimate: @escaping @Sendable (Value) -> Int) {
        self.budget = budget
        self.inputName = input.name
        // The DAG checked the input's type, so the cast holds; without a value, assume all of it.
        self.estimate = { value in (value as? Value).map(estimate) ?? budget.capacity }
    }
}

/// The kind of resource a node consumes, deciding which limiter it waits for.
public enum ResourceClass: String, Sendable, Hashable, Codable {
    /// I/O-bound or trivial work; runs as soon as its inputs are ready.
    case light
    /// Decoding, encoding, inference: holds a permit of the scheduler's shared CPU limiter while running.
    case cpuHeavy
}

/// Attempts and the waits between them. Only errors conforming to ``RetryableError`` with
/// `isRetryable == true` are retried.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts including the first; at least 1.
    public var maxAttempts: Int
    /// The wait after each failed attempt before the next one.
    public var backoff: BackoffPolicy

    /// A single attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1, backoff: BackoffPolicy(initial: .zero, multiplier: 1, maximum: .zero))

    /// Exponential backoff: `initialBackoff * multiplier^(retry-1)`, capped at `maxBackoff`, with `jitter`
    /// (see ``BackoffPolicy``).
    public static func exponential(
        maxAttempts: Int,
        initialBackoff: Duration = .milliseconds(100),
        multiplier: Double = 2,
        maxBackoff: Duration = .seconds(30),
        jitter: Double = 0.2
    ) -> RetryPolicy {
        RetryPolicy(
            maxAttempts: maxAttempts,
            backoff: BackoffPolicy(initial: initialBackoff, multiplier: multiplier, maximum: maxBackoff, jitter: jitter))
    }

    public init(maxAttempts: Int, backoff: BackoffPolicy) {
        precondition(maxAttempts >= 1, "RetryPolicy needs at least one attempt")
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }
}
