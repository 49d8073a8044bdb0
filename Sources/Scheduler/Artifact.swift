/// A typed, named value that flows along a DAG edge.
///
/// Two artifacts are the same edge when their names match; a DAG rejects a name used
/// with two different value types.
public struct Artifact<Value: Sendable>: Hashable, Sendable {
    /// Unique name of the artifact within a DAG; also its label in Graphviz output.
    public let name: String

    public init(_ name: String) {
        self.name = name
    }
}

/// A type-erased artifact, used by the DAG to wire nodes and check value types.
struct ArtifactReference: Sendable {
    let name: String
    let valueType: ObjectIdentifier
    let valueTypeName: String
    /// Checks a run-time value supplied for an external input.
    let accepts: @Sendable (any Sendable) -> Bool

    init<Value>(_ artifact: Artifact<Value>) {
        name = artifact.name
        valueType = ObjectIdentifier(Value.self)
        valueTypeName = String(describing: Value.self)
        accepts = { $0 is Value }
    }
}

/// Values of artifacts by name: the external inputs of a run, and the outputs it produced.
public struct ArtifactValues: Sendable {
    private var storage: [String: any Sendable]

    public init() {
        storage = [:]
    }

    init(storage: [String: any Sendable]) {
        self.storage = storage
    }

    /// The value of `artifact`, or `nil` when absent or stored with another type.
    public subscript<Value>(artifact: Artifact<Value>) -> Value? {
        get { storage[artifact.name] as? Value }
        set { storage[artifact.name] = newValue }
    }

    /// Names of all artifacts that have a value.
    public var names: Set<String> { Set(storage.keys) }

    func untypedValue(named name: String) -> (any Sendable)? {
        storage[name]
    }
}
