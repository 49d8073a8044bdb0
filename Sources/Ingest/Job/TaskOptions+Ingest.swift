import Scheduler

extension TaskOptions {
    /// File, catalog and mail work: bounded by the task timeout, retried on retryable errors.
    static func io(_ configuration: IngestConfiguration) -> TaskOptions {
        var options = TaskOptions()
        options.timeout = .seconds(configuration.taskTimeoutSeconds)
        options.retry = .exponential(maxAttempts: configuration.taskAttempts, initialBackoff: .milliseconds(200))
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
