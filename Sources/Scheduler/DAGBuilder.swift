/// The type-erased body of a node: receives input values in declaration order.
typealias ErasedTaskBody = @Sendable ([any Sendable]) async throws -> any Sendable

/// One node of a DAG as declared by a builder.
struct TaskNode: Sendable {
    let name: String
    let inputs: [ArtifactReference]
    let output: ArtifactReference?
    let options: TaskOptions
    /// Name of the DAG fragment that declared the node; used for Graphviz clusters.
    var fragment: String
    let body: ErasedTaskBody
}

/// Collects typed tasks and external inputs, then validates them into a ``DAG``.
///
/// Inputs and outputs are typed artifacts and the task body receives exactly the input types,
/// so a body that does not match its wiring does not compile:
/// ```swift
/// var builder = DAGBuilder(name: "bronze")
/// builder.input(videoURL)
/// builder.task("probe", inputs: videoURL, output: metadata) { url in try await probe(url) }
/// let dag = try builder.build()
/// ```
public struct DAGBuilder: Sendable {
    public let name: String
    private var tasks: [TaskNode] = []
    private var externalInputs: [ArtifactReference] = []

    public init(name: String) {
        self.name = name
    }

    /// Declares an artifact that the caller supplies to ``TaskScheduler/run(_:inputs:observer:)``.
    public mutating func input<Value>(_ artifact: Artifact<Value>) {
        externalInputs.append(ArtifactReference(artifact))
    }

    /// Declares a node consuming `inputs` and producing `output`; `body` is called with the input
    /// values in the order the artifacts are listed.
    public mutating func task<each Input: Sendable, Output: Sendable>(
        _ name: String,
        inputs: repeat Artifact<each Input>,
        output: Artifact<Output>,
        options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (repeat each Input) async throws -> Output
    ) {
        addTask(name, inputs: repeat each inputs, output: ArtifactReference(output), options: options) {
            (inputs: repeat each Input) async throws -> any Sendable in
            try await body(repeat each inputs)
        }
    }

    /// Declares a node that produces nothing downstream tasks can consume, such as a final upload.
    public mutating func task<each Input: Sendable>(
        _ name: String,
        inputs: repeat Artifact<each Input>,
        options: TaskOptions = TaskOptions(),
        _ body: @escaping @Sendable (repeat each Input) async throws -> Void
    ) {
        addTask(name, inputs: repeat each inputs, output: nil, options: options) {
            (inputs: repeat each Input) async throws -> any Sendable in
            try await body(repeat each inputs)
        }
    }

    private mutating func addTask<each Input: Sendable>(
        _ name: String,
        inputs: repeat Artifact<each Input>,
        output: ArtifactReference?,
        options: TaskOptions,
        _ body: @escaping @Sendable (repeat each Input) async throws -> any Sendable
    ) {
        var references: [ArtifactReference] = []
        for artifact in repeat each inputs {
            references.append(ArtifactReference(artifact))
        }
        if let demand = options.memory {
            precondition(references.contains { $0.name == demand.inputName },
                         "task \(name): its memory estimate reads \(demand.inputName), which is not one of its inputs")
        }
        let erased: ErasedTaskBody = { values in
            var cursor = values.makeIterator()
            // DAG validation guarantees one value per input with the declared type, so the cast cannot fail.
            func nextValue<Value>(_: Value.Type) -> Value { cursor.next() as! Value }
            return try await body(repeat nextValue((each Input).self))
        }
        tasks.append(
            TaskNode(name: name, inputs: references, output: output, options: options, fragment: self.name, body: erased)
        )
    }

    /// Validates the wiring: unique task names, one type per artifact name, every input produced
    /// exactly once (by a task or as an external input), and no cycles.
    public func build() throws(DAGValidationError) -> DAG {
        try DAG(name: name, tasks: tasks, externalInputs: externalInputs, fragments: [name])
    }
}
