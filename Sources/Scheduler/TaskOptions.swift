import Foundation

/// Per-node execution options.
public struct TaskOptions: Sendable {
    /// How failed attempts are retried. Default: `.none` (one attempt).
    public var retry: RetryPolicy
    /// Limit for a single attempt, not counting the wait for a CPU permit. Default: `nil` (no limit).
    /// A timed-out attempt fails with ``TaskExecutionError/Code-swift.struct/timedOut``, which is retryable.
    public var timeout: Duration?
    /// Which shared limiter the node needs. Default: `.light` (none).
    public var resource: ResourceClass

    public init(retry: RetryPolicy = .none, timeout: Duration? = nil, resource: ResourceClass = .light) {
        self.retry = retry
        self.timeout = timeout
        self.resource = resource
    }
}

/// The kind of resource a node consumes, deciding which limiter it waits for.
public enum ResourceClass: String, Sendable, Hashable, Codable {
    /// I/O-bound or trivial work; runs as soon as its inputs are ready.
    case light
    /// Decoding, encoding, inference: holds a permit of the scheduler's shared CPU limiter while running.
    case cpuHeavy
}

/// Attempts and exponential backoff with jitter. Only errors conforming to ``RetryableError``
/// with `isRetryable == true` are retried.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts including the first; at least 1.
    public var maxAttempts: Int
    /// Delay before the second attempt.
    public var initialBackoff: Duration
    /// Factor applied to the delay after each retry.
    public var multiplier: Double
    /// Upper bound of a delay before jitter.
    public var maxBackoff: Duration
    /// Fraction (0...1) of each delay that is randomised away: a delay `d` becomes a value in `d*(1-jitter)...d`,
    /// so concurrent retries spread out without ever exceeding `maxBackoff`.
    public var jitter: Double

    /// A single attempt, no retry.
    public static let none = RetryPolicy(maxAttempts: 1, initialBackoff: .zero, multiplier: 1, maxBackoff: .zero, jitter: 0)

    /// Exponential backoff: `initialBackoff * multiplier^(retry-1)`, capped at `maxBackoff`, with `jitter`.
    public static func exponential(
        maxAttempts: Int,
        initialBackoff: Duration = .milliseconds(100),
        multiplier: Double = 2,
        maxBackoff: Duration = .seconds(30),
        jitter: Double = 0.2
    ) -> RetryPolicy {
        RetryPolicy(
            maxAttempts: maxAttempts, initialBackoff: initialBackoff, multiplier: multiplier,
            maxBackoff: maxBackoff, jitter: jitter
        )
    }

    public init(maxAttempts: Int, initialBackoff: Duration, multiplier: Double, maxBackoff: Duration, jitter: Double) {
        precondition(maxAttempts >= 1, "RetryPolicy needs at least one attempt")
        precondition((0...1).contains(jitter), "RetryPolicy jitter must be within 0...1")
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.multiplier = multiplier
        self.maxBackoff = maxBackoff
        self.jitter = jitter
    }

    /// The delay to wait after failed attempt number `attempt` (1-based) before the next one.
    public func backoff(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        // Computed in seconds so large exponents saturate at maxBackoff instead of overflowing Duration.
        let exponential = initialBackoff.seconds * pow(multiplier, Double(max(attempt - 1, 0)))
        let capped = min(exponential, maxBackoff.seconds)
        let jitterFactor = jitter > 0 ? 1 - jitter * Double.random(in: 0..<1, using: &generator) : 1
        return .seconds(capped * jitterFactor)
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
