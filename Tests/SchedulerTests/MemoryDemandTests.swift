@testable import Scheduler
import Testing

/// Tasks with a ``MemoryDemand``: what they reserve, when, and that it comes back.
@Suite struct MemoryDemandTests {
    let size = Artifact<Int>("size")
    let done = Artifact<Int>("done")

    private func dag(_ name: String, budget: WeightedSemaphore?, _ body: @escaping @Sendable (Int) async throws -> Int) throws -> DAG {
        var builder = DAGBuilder(name: name)
        builder.input(size)
        var options = TaskOptions(resource: .cpuHeavy)
        options.memory = budget.map { MemoryDemand(budget: $0, estimatedFrom: size) { $0 * 2 } }
        builder.task(name, inputs: size, output: done, options: options, body)
        return try builder.build()
    }

    private func inputs(_ value: Int) -> ArtifactValues {
        var values = ArtifactValues()
        values[size] = value
        return values
    }

    @Test func attemptHoldsItsEstimateFromTheInput() async throws {
        let budget = WeightedSemaphore(capacity: 100)
        let result = await TaskScheduler().run(try dag("decode", budget: budget) { _ in budget.availableUnits }, inputs: inputs(15))
        #expect(result.values[done] == 70)  // 2 × 15 held while the body ran
        #expect(budget.availableUnits == 100)
    }

    /// A task waiting for memory holds no CPU permit, so other CPU work goes on meanwhile.
    @Test func memoryIsReservedBeforeTheCPUPermit() async throws {
        let budget = WeightedSemaphore(capacity: 10)
        let scheduler = TaskScheduler(cpuHeavyLimiter: AsyncSemaphore(permits: 2))
        let gate = AsyncSemaphore(permits: 1)
        try await gate.acquire()
        let holder = Task { await scheduler.run(try dag("holder", budget: budget) { _ in try await gate.withPermit { 1 } }, inputs: inputs(5)) }
        #expect(await settles { budget.availableUnits == 0 })
        let waiter = Task { await scheduler.run(try dag("waiter", budget: budget) { _ in 2 }, inputs: inputs(5)) }
        // The second permit is free for a task without a demand while the waiter waits for memory.
        #expect(await settles { budget.waitingCount == 1 })
        let otherRan = CallCounter()
        let other = Task {
            await scheduler.run(try dag("other", budget: nil) { _ in otherRan.next(); return 3 }, inputs: inputs(0))
        }
        let otherFinished = await settles { otherRan.value == 1 }
        #expect(otherFinished, "a task waiting for memory held a CPU permit")
        if !otherFinished { other.cancel() }
        gate.release()
        #expect(try await holder.value.values[done] == 1)
        try #require(await settles { budget.waitingCount == 0 }, "the holder's memory never came back")
        #expect(try await waiter.value.values[done] == 2)
        #expect(try await other.value.values[done] == 3)
        #expect(budget.availableUnits == 10)
    }

    @Test func failedAttemptGivesItsMemoryBack() async throws {
        let budget = WeightedSemaphore(capacity: 10)
        let result = await TaskScheduler().run(try dag("fails", budget: budget) { _ in throw PlainError() }, inputs: inputs(4))
        #expect(result.states["fails"] == .failed)
        #expect(budget.availableUnits == 10)
    }

    @Test func runCancelledWhileWaitingForMemoryTakesNothing() async throws {
        let budget = WeightedSemaphore(capacity: 10)
        let held = try await budget.acquire(10)
        let run = Task { await TaskScheduler().run(try dag("waits", budget: budget) { _ in 1 }, inputs: inputs(4)) }
        #expect(await settles { budget.waitingCount == 1 })
        run.cancel()
        let result = try await run.value
        #expect(result.states["waits"] == .cancelled)
        budget.release(held)
        #expect(budget.availableUnits == 10)
    }
}

