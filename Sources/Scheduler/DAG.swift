/// A validated, immutable graph of typed tasks, ready to run with ``TaskScheduler``.
///
/// Tasks are stored in topological order together with a precomputed execution plan
/// (artifact slots, dependents, dependency counts), so a run does no hashing per node.
public struct DAG: Sendable {
    public let name: String
    /// Tasks in topological order.
    let tasks: [TaskNode]
    /// Artifacts the caller must supply, in declaration order.
    let externalInputs: [ArtifactReference]
    /// Names of the builders whose tasks this DAG contains, in merge order.
    let fragments: [String]

    /// Artifact slot read by each input of each task.
    let inputSlots: [[Int]]
    /// Artifact slot written by each task, if it has an output.
    let outputSlots: [Int?]
    /// Artifact slot of each external input.
    let externalInputSlots: [Int]
    /// Artifact name of each slot.
    let slotNames: [String]
    /// Indices of the tasks consuming each task's output.
    let dependents: [[Int]]
    /// Number of distinct producing tasks each task waits for.
    let dependencyCounts: [Int]

    /// Task names in topological order.
    public var taskNames: [String] { tasks.map(\.name) }

    /// The options a task was declared with; nil for a name the DAG does not have.
    public func options(of task: String) -> TaskOptions? {
        tasks.first { $0.name == task }?.options
    }

    /// Combines fragments, e.g. bronze, silver and gold stages, into one DAG that runs as a whole.
    /// An external input of one fragment that another fragment produces becomes an internal edge.
    public init(name: String, merging fragments: [DAG]) throws(DAGValidationError) {
        let tasks = fragments.flatMap(\.tasks)
        let produced = Set(tasks.compactMap { $0.output?.name })
        let externalInputs = fragments.flatMap(\.externalInputs).filter { !produced.contains($0.name) }
        try self.init(name: name, tasks: tasks, externalInputs: externalInputs, fragments: fragments.flatMap(\.fragments))
    }

    init(name: String, tasks declared: [TaskNode], externalInputs declaredInputs: [ArtifactReference], fragments: [String]) throws(DAGValidationError) {
        self.name = name
        var seenFragments = Set<String>()
        self.fragments = fragments.filter { seenFragments.insert($0).inserted }

        try Self.checkUniqueNames(declared)
        try Self.checkArtifactTypes(declared, externalInputs: declaredInputs)
        var seenInputs = Set<String>()
        let externalInputs = declaredInputs.filter { seenInputs.insert($0.name).inserted }
        self.externalInputs = externalInputs
        let producerByArtifact = try Self.producers(of: declared, externalInputs: seenInputs)
        try Self.checkEveryInputProduced(declared, producers: producerByArtifact, externalInputs: seenInputs)

        // Edges between declared task indices, deduplicated when a task reads one producer twice.
        var declaredDependents = Array(repeating: [Int](), count: declared.count)
        var declaredDependencyCounts = Array(repeating: 0, count: declared.count)
        for (index, task) in declared.enumerated() {
            var producers = Set<Int>()
            for input in task.inputs {
                if let producer = producerByArtifact[input.name], producers.insert(producer).inserted {
                    declaredDependents[producer].append(index)
                }
            }
            declaredDependencyCounts[index] = producers.count
        }

        let order = try Self.topologicalOrder(of: declared, dependents: declaredDependents, dependencyCounts: declaredDependencyCounts)
        var newIndex = Array(repeating: 0, count: declared.count)
        for (position, index) in order.enumerated() {
            newIndex[index] = position
        }

        var slotByArtifact: [String: Int] = [:]
        var slotNames: [String] = []
        func slot(for name: String) -> Int {
            if let slot = slotByArtifact[name] { return slot }
            slotNames.append(name)
            slotByArtifact[name] = slotNames.count - 1
            return slotNames.count - 1
        }
        externalInputSlots = externalInputs.map { slot(for: $0.name) }
        tasks = order.map { declared[$0] }
        outputSlots = tasks.map { $0.output.map { slot(for: $0.name) } }
        inputSlots = tasks.map { $0.inputs.map { slot(for: $0.name) } }
        self.slotNames = slotNames
        dependents = order.map { declaredDependents[$0].map { newIndex[$0] } }
        dependencyCounts = order.map { declaredDependencyCounts[$0] }
    }

    private static func checkUniqueNames(_ declared: [TaskNode]) throws(DAGValidationError) {
        var indexByTaskName: [String: Int] = [:]
        var duplicateNames = Set<String>()
        for (index, task) in declared.enumerated() where indexByTaskName.updateValue(index, forKey: task.name) != nil {
            duplicateNames.insert(task.name)
        }
        if !duplicateNames.isEmpty {
            throw DAGValidationError(code: .duplicateTaskName, names: duplicateNames.sorted(),
                                     message: "task names used more than once: \(duplicateNames.sorted().joined(separator: ", "))")
        }
    }

    /// One value type per artifact name, checked across every use.
    private static func checkArtifactTypes(_ declared: [TaskNode], externalInputs: [ArtifactReference]) throws(DAGValidationError) {
        var referenceByName: [String: ArtifactReference] = [:]
        let allReferences = externalInputs + declared.flatMap { $0.inputs + ($0.output.map { [$0] } ?? []) }
        for reference in allReferences {
            if let first = referenceByName[reference.name] {
                if first.valueType != reference.valueType {
                    throw DAGValidationError(code: .artifactTypeMismatch, names: [reference.name],
                                             message: "artifact '\(reference.name)' is used as both \(first.valueTypeName) and \(reference.valueTypeName)")
                }
            } else {
                referenceByName[reference.name] = reference
            }
        }
    }

    /// The index of the one task producing each artifact.
    private static func producers(of declared: [TaskNode], externalInputs: Set<String>) throws(DAGValidationError) -> [String: Int] {
        var producerByArtifact: [String: Int] = [:]
        for (index, task) in declared.enumerated() {
            guard let output = task.output else { continue }
            if let other = producerByArtifact[output.name] {
                throw DAGValidationError(code: .duplicateProducer, names: [output.name],
                                         message: "artifact '\(output.name)' is produced by both '\(declared[other].name)' and '\(task.name)'")
            }
            if externalInputs.contains(output.name) {
                throw DAGValidationError(code: .duplicateProducer, names: [output.name],
                                         message: "artifact '\(output.name)' is produced by '\(task.name)' and also declared as an external input")
            }
            producerByArtifact[output.name] = index
        }
        return producerByArtifact
    }

    private static func checkEveryInputProduced(_ declared: [TaskNode], producers: [String: Int],
                                                externalInputs: Set<String>) throws(DAGValidationError) {
        var missingArtifacts = Set<String>()
        var missingUses: [String] = []
        for task in declared {
            for input in task.inputs where producers[input.name] == nil && !externalInputs.contains(input.name) {
                missingArtifacts.insert(input.name)
                missingUses.append("'\(input.name)' needed by '\(task.name)'")
            }
        }
        if !missingArtifacts.isEmpty {
            throw DAGValidationError(code: .missingProducer, names: missingArtifacts.sorted(),
                                     message: "inputs without a producer or external input: \(missingUses.sorted().joined(separator: ", "))")
        }
    }

    /// Kahn's algorithm in declaration order, so independent tasks keep the order they were declared in.
    private static func topologicalOrder(of tasks: [TaskNode], dependents: [[Int]], dependencyCounts: [Int]) throws(DAGValidationError) -> [Int] {
        var remaining = dependencyCounts
        var order = tasks.indices.filter { remaining[$0] == 0 }
        var next = 0
        while next < order.count {
            for dependent in dependents[order[next]] {
                remaining[dependent] -= 1
                if remaining[dependent] == 0 { order.append(dependent) }
            }
            next += 1
        }
        guard order.count < tasks.count else { return order }

        // Tasks left over are on a cycle or downstream of one; peel off those with no
        // left-over dependents so the error names only the tasks on cycles.
        var onCycle = Set(tasks.indices).subtracting(order)
        var peeled = true
        while peeled {
            peeled = false
            for index in onCycle where dependents[index].allSatisfy({ !onCycle.contains($0) }) {
                onCycle.remove(index)
                peeled = true
            }
        }
        let names = onCycle.map { tasks[$0].name }.sorted()
        throw DAGValidationError(code: .cycle, names: names, message: "tasks depend on each other in a cycle: \(names.joined(separator: ", "))")
    }
}
