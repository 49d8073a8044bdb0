/// Why a DAG could not be built.
public struct DAGValidationError: Error, Hashable, CustomStringConvertible {
    /// The kind of wiring mistake, as a stable snake_case string.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        public var description: String { name }

        /// Two tasks share a name.
        public static let duplicateTaskName = Code(name: "duplicate_task_name")
        /// An input is neither produced by a task nor declared as an external input.
        public static let missingProducer = Code(name: "missing_producer")
        /// An artifact is produced by more than one task, or produced and also declared external.
        public static let duplicateProducer = Code(name: "duplicate_producer")
        /// One artifact name is used with two value types.
        public static let artifactTypeMismatch = Code(name: "artifact_type_mismatch")
        /// Tasks depend on each other in a loop.
        public static let cycle = Code(name: "cycle")
    }

    public let code: Code
    /// Task or artifact names involved, sorted.
    public let names: [String]
    public let message: String

    public var description: String { "\(code): \(message)" }
}
