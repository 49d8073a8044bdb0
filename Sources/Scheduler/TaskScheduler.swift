import Execution
import Foundation

/// Runs DAGs: independent tasks concurrently, each with its retry policy and timeout, with
/// ``ResourceClass/cpuHeavy`` tasks bounded by a limiter shared by every run of this scheduler.
///
/// Cancelling the task that awaits ``run(_:inputs:observer:)`` cancels running tasks (recorded
/// `cancelled` once they return) and records tasks that had not started as `cancelled`. Task
/// bodies should check for cancellation; the run returns when the last running body returns.
public struct TaskScheduler: Sendable {
    /// Permits for concurrently running ``ResourceClass/cpuHeavy`` tasks, across all runs sharing it.
    public let cpuHeavyLimiter: AsyncSemaphore

    /// - Parameter cpuHeavyLimiter: shared limiter for CPU-heavy tasks. Default: one permit per active processor.
    public init(cpuHeavyLimiter: AsyncSemaphore = AsyncSemaphore(permits: ProcessInfo.processInfo.activeProcessorCount)) {
        self.cpuHeavyLimiter = cpuHeavyLimiter
    }

    /// Runs every task of `dag` once its inputs are available and returns when all have reached a final state.
    /// - Parameters:
    ///   - inputs: values for the DAG's external inputs; a missing one fails the tasks that read it.
    ///   - observer: called with every transition as it happens, concurrently from the tasks' own
    ///     concurrency contexts, so it must be quick and thread-safe.
    public func run(
        _ dag: DAG,
        inputs: ArtifactValues = ArtifactValues(),
        observer: @escaping @Sendable (TaskTransition) -> Void = { _ in }
    ) async -> DAGRunResult {
        let started = ContinuousClock.now
        let recorder = TransitionRecorder(expectedCount: dag.tasks.count * 3, observer: observer)
        var run = DAGExecution(dag: dag, inputs: inputs)

        await withTaskGroup(of: TaskCompletion.self) { group in
            var ready = dag.dependencyCounts.indices.filter { dag.dependencyCounts[$0] == 0 }
            var nextReady = 0
            repeat {
                // Once cancelled, nothing new starts; tasks never started are recorded cancelled below.
                while nextReady < ready.count && !Task.isCancelled {
                    let index = ready[nextReady]
                    nextReady += 1
                    switch run.gatherInputs(of: index) {
                    case .success(let values):
                        let launch = TaskLaunch(
                            index: index, node: dag.tasks[index], inputs: values,
                            recorder: recorder, cpuHeavyLimiter: cpuHeavyLimiter
                        )
                        run.markStarted(index)
                        launch.recordQueued()
                        group.addTask { await launch.execute() }
                    case .failure(let error):
                        run.markStarted(index)
                        var clock = TaskStateClock(task: dag.tasks[index].name)
                        recorder.record(clock.transition(to: .failed, attempt: 0, error: error))
                        ready += run.complete(TaskCompletion(index: index, outcome: .failed(error)), recorder: recorder)
                    }
                }
                guard let completion = await group.next() else { break }
                ready += run.complete(completion, recorder: recorder)
            } while true
        }

        let wasCancelled = run.recordUnstartedAsCancelled(recorder: recorder)
        return DAGRunResult(
            values: run.outputValues(inputs: inputs), transitions: recorder.transitions,
            failures: run.failures, skipReason: run.skipReason, wasCancelled: wasCancelled,
            duration: .now - started
        )
    }
}

/// How one task ended.
enum TaskOutcome: Sendable {
    case succeeded(any Sendable)
    case failed(any Error)
    case skippedDownstream(reason: String)
    case cancelled
}

struct TaskCompletion: Sendable {
    let index: Int
    let outcome: TaskOutcome
}

/// The coordinator's bookkeeping for one run; owned by the single task that drives the run.
private struct DAGExecution {
    let dag: DAG
    /// Artifact values by slot; filled as producing tasks succeed.
    private var slots: [(any Sendable)?]
    private var remainingDependencies: [Int]
    private var started: [Bool]
    private var finished: [Bool]
    private var failureByTask: [Int: any Error] = [:]
    private var skipReasonByTask: [Int: String] = [:]
    private var anyTaskCancelled = false

    init(dag: DAG, inputs: ArtifactValues) {
        self.dag = dag
        slots = Array(repeating: nil, count: dag.slotNames.count)
        for (reference, slot) in zip(dag.externalInputs, dag.externalInputSlots) {
            if let value = inputs.untypedValue(named: reference.name), reference.accepts(value) {
                slots[slot] = value
            }
        }
        remainingDependencies = dag.dependencyCounts
        started = Array(repeating: false, count: dag.tasks.count)
        finished = started
    }

    var failures: [TaskFailure] {
        failureByTask.sorted { $0.key < $1.key }.map { TaskFailure(task: dag.tasks[$0.key].name, error: $0.value) }
    }

    var skipReason: String? {
        skipReasonByTask.keys.min().flatMap { skipReasonByTask[$0] }
    }

    func gatherInputs(of index: Int) -> Result<[any Sendable], TaskExecutionError> {
        var values: [any Sendable] = []
        values.reserveCapacity(dag.inputSlots[index].count)
        for (slot, reference) in zip(dag.inputSlots[index], dag.tasks[index].inputs) {
            // Producers have succeeded by now, so only an external input can be absent.
            guard let value = slots[slot] else {
                return .failure(TaskExecutionError(
                    code: .missingInput, task: dag.tasks[index].name,
                    message: "external input '\(reference.name)' of type \(reference.valueTypeName) was not supplied"
                ))
            }
            values.append(value)
        }
        return .success(values)
    }

    mutating func markStarted(_ index: Int) {
        started[index] = true
    }

    /// Records the outcome and returns the tasks that became ready.
    mutating func complete(_ completion: TaskCompletion, recorder: TransitionRecorder) -> [Int] {
        let index = completion.index
        finished[index] = true
        switch completion.outcome {
        case .succeeded(let value):
            if let slot = dag.outputSlots[index] { slots[slot] = value }
            var ready: [Int] = []
            for dependent in dag.dependents[index] {
                remainingDependencies[dependent] -= 1
                if remainingDependencies[dependent] == 0 { ready.append(dependent) }
            }
            return ready
        case .failed(let error):
            failureByTask[index] = error
            skipDependents(of: index, reason: "upstream task '\(dag.tasks[index].name)' failed", recorder: recorder)
        case .skippedDownstream(let reason):
            skipReasonByTask[index] = reason
            skipDependents(of: index, reason: "upstream task '\(dag.tasks[index].name)' skipped downstream: \(reason)", recorder: recorder)
        case .cancelled:
            anyTaskCancelled = true
        }
        return []
    }

    private mutating func skipDependents(of index: Int, reason: String, recorder: TransitionRecorder) {
        var pending = dag.dependents[index]
        while let dependent = pending.popLast() {
            // Reached through another failed branch already.
            guard !finished[dependent] else { continue }
            finished[dependent] = true
            started[dependent] = true
            var clock = TaskStateClock(task: dag.tasks[dependent].name)
            recorder.record(clock.transition(to: .skipped, attempt: 0, detail: reason))
            pending += dag.dependents[dependent]
        }
    }

    /// Records every task that never started as cancelled; returns whether any task ended cancelled.
    mutating func recordUnstartedAsCancelled(recorder: TransitionRecorder) -> Bool {
        for index in dag.tasks.indices where !started[index] {
            var clock = TaskStateClock(task: dag.tasks[index].name)
            recorder.record(clock.transition(to: .cancelled, attempt: 0, detail: "run cancelled before the task started"))
            anyTaskCancelled = true
        }
        return anyTaskCancelled
    }

    func outputValues(inputs: ArtifactValues) -> ArtifactValues {
        var storage: [String: any Sendable] = [:]
        for name in inputs.names {
            storage[name] = inputs.untypedValue(named: name)
        }
        for (slot, value) in slots.enumerated() {
            if let value { storage[dag.slotNames[slot]] = value }
        }
        return ArtifactValues(storage: storage)
    }
}

/// Everything a child task needs to run one DAG task, captured once at launch.
private struct TaskLaunch: Sendable {
    let index: Int
    let node: TaskNode
    let inputs: [any Sendable]
    let recorder: TransitionRecorder
    let cpuHeavyLimiter: AsyncSemaphore
    private let queuedAt = ContinuousClock.now

    init(index: Int, node: TaskNode, inputs: [any Sendable], recorder: TransitionRecorder, cpuHeavyLimiter: AsyncSemaphore) {
        self.index = index
        self.node = node
        self.inputs = inputs
        self.recorder = recorder
        self.cpuHeavyLimiter = cpuHeavyLimiter
    }

    func recordQueued() {
        var clock = TaskStateClock(task: node.name)
        recorder.record(clock.transition(to: .queued, attempt: 1))
    }

    func execute() async -> TaskCompletion {
        TaskCompletion(index: index, outcome: await attempts())
    }

    private func attempts() async -> TaskOutcome {
        var clock = TaskStateClock(task: node.name, enteredPreviousState: queuedAt)
        var randomness = SystemRandomNumberGenerator()
        let policy = node.options.retry
        for attempt in 1...policy.maxAttempts {
            do {
                let value = try await attemptOnce(attempt: attempt, clock: &clock)
                recorder.record(clock.transition(to: .succeeded, attempt: attempt))
                return .succeeded(value)
            } catch let skip as SkipDownstream {
                recorder.record(clock.transition(to: .skipped, attempt: attempt, detail: skip.reason))
                return .skippedDownstream(reason: skip.reason)
            } catch {
                if Task.isCancelled {
                    recorder.record(clock.transition(to: .cancelled, attempt: attempt, detail: "run cancelled"))
                    return .cancelled
                }
                let retryable = (error as? any RetryableError)?.isRetryable ?? false
                guard retryable && attempt < policy.maxAttempts else {
                    recorder.record(clock.transition(to: .failed, attempt: attempt, error: error))
                    return .failed(error)
                }
                recorder.record(clock.transition(to: .retrying, attempt: attempt, error: error))
                do {
                    try await Task.sleep(for: policy.backoff.delay(afterAttempt: attempt, using: &randomness))
                } catch {
                    recorder.record(clock.transition(to: .cancelled, attempt: attempt, detail: "run cancelled during backoff"))
                    return .cancelled
                }
            }
        }
        preconditionFailure("the last attempt always returns")
    }

    /// One attempt: reserves its memory and waits for a CPU permit if needed, records `running`,
    /// runs the body within its timeout.
    private func attemptOnce(attempt: Int, clock: inout TaskStateClock) async throws -> any Sendable {
        let memory = try await reserveMemory()
        defer { if let memory { memory.budget.release(memory.bytes) } }
        let needsPermit = node.options.resource == .cpuHeavy
        if needsPermit { try await cpuHeavyLimiter.acquire() }
        defer { if needsPermit { cpuHeavyLimiter.release() } }
        try Task.checkCancellation()
        recorder.record(clock.transition(to: .running, attempt: attempt))
        guard let timeout = node.options.timeout else {
            return try await node.body(inputs)
        }
        return try await withThrowingTaskGroup(of: (any Sendable).self) { group in
            group.addTask { try await node.body(inputs) }
            group.addTask {
                // Not Task.sleep: a cancelled one holds its timer until the deadline (30 min by default).
                try await CancellableSleep.sleep(for: timeout)
                throw TaskExecutionError(code: .timedOut, task: node.name, message: "attempt \(attempt) exceeded \(timeout)")
            }
            defer { group.cancelAll() }
            // Two children were added, so the first result is always present.
            return try await group.next()!
        }
    }

    /// The bytes the task's ``MemoryDemand`` estimates from its input, once they fit in the budget.
    private func reserveMemory() async throws -> (budget: WeightedSemaphore, bytes: Int)? {
        guard let demand = node.options.memory else { return nil }
        let input = node.inputs.firstIndex { $0.name == demand.inputName }.map { inputs[$0] }
        let bytes = try await demand.budget.acquire(input.map(demand.estimate) ?? demand.budget.capacity)
        return (demand.budget, bytes)
    }
}
