/// How a job ended.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case succeeded
    case rejected
    case failed
    case duplicate
}

/// How one attempt of one task ended. Only finished attempts are recorded, so the
/// scheduler's `queued` and `running` have no case here.
public enum TaskRunState: String, Codable, Sendable, CaseIterable {
    case succeeded
    /// The attempt failed and another one follows (recorded as its own row).
    case retrying
    /// The last attempt failed, or the error was not retryable.
    case failed
    /// Never started: an upstream task failed or asked to skip the rest (attempt 0).
    case skipped
    /// The job was cancelled before the task finished.
    case cancelled
}

/// Where a notification stands in the outbox.
///
/// A failed delivery attempt does not change the state: the notification stays `pending`
/// with its attempt count, last error and retry time.
public enum NotificationState: String, Codable, Sendable, CaseIterable {
    case pending
    case sent
}

/// What a notification tells its recipients; the raw values are the original system's
/// kinds, stored as they are and sent in the mail's `X-Vidpipe-Kind` header.
public enum NotificationKind: String, Codable, Sendable, CaseIterable {
    /// A new file was processed.
    case ready
    /// A changed file was processed again.
    case modified
    /// The file was deleted at its source.
    case deleted
    /// The video came without its sidecar metadata file.
    case missingMetadata = "missing_metadata"
    /// The job was rejected or failed.
    case rejected
}

/// Where one webhook delivery (one event to one endpoint) stands in the outbox.
///
/// A failed attempt that will be tried again leaves it `pending`, with its attempt count,
/// last error and retry time, like a notification.
public enum WebhookDeliveryState: String, Codable, Sendable, CaseIterable {
    case pending
    /// The endpoint answered 2xx.
    case delivered
    /// Given up: the endpoint refused it (a 4xx other than 429), or it kept failing for
    /// longer than the retry window.
    case failed
}
