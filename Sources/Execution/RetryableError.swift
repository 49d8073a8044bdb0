/// An error that says whether another attempt at the same operation could succeed.
///
/// The scheduler retries a failed task only when its error conforms and `isRetryable` is
/// true; errors that do not conform are never retried. Every module's error type conforms
/// (`MediaError`, `KafkaError`, `MailError`, the scheduler's own errors), so retry-or-give-up
/// never depends on matching strings.
public protocol RetryableError: Error {
    /// True when the same operation may succeed later (an outage, a timeout); false when it
    /// never will (bad input, bad configuration).
    var isRetryable: Bool { get }
}
