import Execution

/// A failure raised by the scheduler itself while running a node.
public struct TaskExecutionError: RetryableError, CodedError, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable snake_case string.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        /// An attempt exceeded ``TaskOptions/timeout``. Retryable: slowness is usually transient.
        public static let timedOut = Code(name: "timed_out")
        /// An external input was not supplied to the run, or was supplied with another type.
        public static let missingInput = Code(name: "missing_input")
    }

    public let code: Code
    public let task: String
    public let message: String

    public var isRetryable: Bool { code == .timedOut }
    public var description: String { "\(code) in task '\(task)': \(message)" }
}
