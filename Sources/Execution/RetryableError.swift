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

/// An error with a stable snake_case code (`no_streams`, `timed_out`): the name users see
/// in the CLI, the catalog and the job logs, where a Swift type name would mean nothing.
public protocol CodedError: Error {
    associatedtype Code: CustomStringConvertible
    var code: Code { get }
}

extension Error {
    /// The error's code when it has one, else its type's name.
    public var codeName: String {
        if let coded = self as? any CodedError { return "\(coded.code)" }
        return String(describing: type(of: self))
    }
}
