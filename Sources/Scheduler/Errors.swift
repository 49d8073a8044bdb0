/// An error that tells the scheduler whether another attempt could succeed.
/// Errors not conforming to this protocol are never retried.
public protocol RetryableError: Error {
    var isRetryable: Bool { get }
}

/// Thrown by a node to stop its branch without failing the run, e.g. "duplicate of an earlier
/// video: nothing more to do".
///
/// The throwing node is recorded as ``TaskState/skipped`` with `reason` (it produced no output, so
/// it cannot count as succeeded), its transitive dependents are recorded `skipped`, independent
/// branches continue, the run still counts as succeeded, and ``DAGRunResult/skipReason`` carries `reason`.
public struct SkipDownstream: Error, Hashable {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// Why a DAG could not be built.
public struct DAGValidationError: Error, Hashable, CustomStringConvertible {
    /// The kind of wiring mistake.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        /// Two tasks share a name.
        public static let duplicateTaskName = Code(name: "duplicateTaskName")
        /// An input is neither produced by a task nor declared as an external input.
        public static let missingProducer = Code(name: "missingProducer")
        /// An artifact is produced by more than one task, or produced and also declared external.
        public static let duplicateProducer = Code(name: "duplicateProducer")
        /// One artifact name is used with two value types.
        public static let artifactTypeMismatch = Code(name: "artifactTypeMismatch")
        /// Tasks depend on each other in a loop.
        public static let cycle = Code(name: "cycle")
    }

    public let code: Code
    /// Task or artifact names involved, sorted.
    public let names: [String]
    public let message: String

    public var description: String { "\(code): \(message)" }
}

/// A failure raised by the scheduler itself while running a node.
public struct TaskExecutionError: RetryableError, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        /// An attempt exceeded ``TaskOptions/timeout``. Retryable: slowness is usually transient.
        public static let timedOut = Code(name: "timedOut")
        /// An external input was not supplied to the run, or was supplied with another type.
        public static let missingInput = Code(name: "missingInput")
    }

    public let code: Code
    public let task: String
    public let message: String

    public var isRetryable: Bool { code == .timedOut }
    public var description: String { "\(code) in task '\(task)': \(message)" }
}
