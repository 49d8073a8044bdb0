import Execution
import Scheduler

extension TaskOptions {
    /// Reading the source file: bounded by the task timeout, retried on retryable errors.
    static func io(_ configuration: IngestConfiguration) -> TaskOptions {
        var options = TaskOptions()
        options.timeout = .seconds(configuration.taskTimeoutSeconds)
        options.retry = .exponential(maxAttempts: configuration.taskAttempts, initialBackoff: .milliseconds(200))
        return options
    }

    /// Work against the catalog, the lake or the mail server: retried in place until the
    /// waits add up to the outage tolerance, so a passing outage never fails a good video.
    static func infrastructure(_ configuration: IngestConfiguration) -> TaskOptions {
        var options = io(configuration)
        let backoff = BackoffPolicy(initial: .milliseconds(200), multiplier: 2, maximum: .seconds(5), jitter: 0.2)
        options.retry = RetryPolicy(maxAttempts: max(configuration.taskAttempts,
                                                     backoff.attempts(toWait: .seconds(configuration.outageToleranceSeconds))),
                                    backoff: backoff)
        return options
    }

    /// Hashing, probing and decoding: holds a permit of the shared CPU limit while it runs.
    static func cpuHeavy(_ configuration: IngestConfiguration, retry: Bool) -> TaskOptions {
        var options = io(configuration)
        options.resource = .cpuHeavy
        if !retry { options.retry = .none }
        return options
    }

    /// Pure computation on values already in memory: no timeout, no retry.
    static let inMemory = TaskOptions()
}
