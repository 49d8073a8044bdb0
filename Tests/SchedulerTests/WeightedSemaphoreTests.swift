@testable import Scheduler
import Synchronization
import Testing

@Suite struct WeightedSemaphoreTests {
    @Test func heldWeightsNeverExceedTheCapacity() async throws {
        let budget = WeightedSemaphore(capacity: 10)
        let held = HeldUnits()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for weight in [7, 3, 5, 2, 6, 4, 1, 8, 2, 3, 5, 9] {
                group.addTask {
                    try await budget.withReservation(weight) {
                        held.add(weight)
                        try await Task.sleep(for: .milliseconds(5))
                        held.add(-weight)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect((9...10).contains(held.maximum))  // 9 alone reaches 9; the sum never passes 10
        #expect(budget.availableUnits == 10)
    }

    /// A small waiter that would fit still waits behind a large one that came first.
    @Test func smallWaiterDoesNotOvertakeALargeOne() async throws {
        let budget = WeightedSemaphore(capacity: 10)
        let order = ConcurrentLog<String>()
        let first = try await budget.acquire(6)
        let large = Task {
            let taken = try await budget.acquire(8)
            order.append("large")
            budget.release(taken)
        }
        #expect(await settles { budget.waitingCount == 1 })
        let small = Task {
            let taken = try await budget.acquire(2)
            order.append("small")
            budget.release(taken)
        }
        #expect(await settles { budget.waitingCount == 2 })
        // 4 units are free, enough for the small waiter, yet it stays queued.
        #expect(budget.availableUnits == 4)
        #expect(budget.waitingCount == 2)
        budget.release(first)
        try #require(await settles { budget.waitingCount == 0 })
        try await large.value
        try await small.value
        #expect(order.all == ["large", "small"])
        #expect(budget.availableUnits == 10)
    }

    @Test func waitersOfOneUnitAreServedInArrivalOrder() async throws {
        let budget = WeightedSemaphore(capacity: 1)
        let order = ConcurrentLog<Int>()
        let held = try await budget.acquire(1)
        var waiters: [Task<Void, any Error>] = []
        for number in 1...5 {
            waiters.append(Task {
                let taken = try await budget.acquire(1)
                order.append(number)
                budget.release(taken)
            })
            #expect(await settles { budget.waitingCount == number })
        }
        budget.release(held)
        try #require(await settles { budget.waitingCount == 0 })
        for waiter in waiters { try await waiter.value }
        #expect(order.all == [1, 2, 3, 4, 5])
    }

    /// A job estimated above the whole budget waits for everything to be free, then runs
    /// alone; it never waits forever.
    @Test func oversizeWeightRunsAlone() async throws {
        let budget = WeightedSemaphore(capacity: 10)
        let running = try await budget.acquire(3)
        let oversize = Task { try await budget.acquire(50) }
        #expect(await settles { budget.waitingCount == 1 })
        budget.release(running)
        try #require(await settles { budget.waitingCount == 0 }, "the oversize waiter was never served")
        let taken = try await oversize.value
        #expect(taken == 10)
        #expect(budget.availableUnits == 0)
        let next = Task { try await budget.acquire(1) }
        #expect(await settles { budget.waitingCount == 1 })  // nothing runs beside it
        budget.release(taken)
        try #require(await settles { budget.waitingCount == 0 })
        budget.release(try await next.value)
        #expect(budget.availableUnits == 10)
    }

    @Test func failingBodyGivesItsWeightBack() async throws {
        struct Failure: Error {}
        let budget = WeightedSemaphore(capacity: 10)
        await #expect(throws: Failure.self) {
            try await budget.withReservation(7) { () async throws -> Int in throw Failure() }
        }
        #expect(budget.availableUnits == 10)
    }

    @Test func cancelledHolderGivesItsWeightBack() async throws {
        let budget = WeightedSemaphore(capacity: 10)
        let holder = Task {
            try await budget.withReservation(7) { try await Task.sleep(for: .seconds(600)) }
        }
        #expect(await settles { budget.availableUnits == 3 })
        holder.cancel()
        await #expect(throws: CancellationError.self) { try await holder.value }
        #expect(budget.availableUnits == 10)
    }

    /// A cancelled waiter takes nothing, and when it was the head of the queue the smaller
    /// waiters it held back are served.
    @Test func cancelledHeadLetsTheWaitersBehindItIn() async throws {
        let budget = WeightedSemaphore(capacity: 10)
        let held = try await budget.acquire(6)
        let large = Task { try await budget.acquire(8) }
        #expect(await settles { budget.waitingCount == 1 })
        let small = Task { try await budget.acquire(4) }
        #expect(await settles { budget.waitingCount == 2 })
        large.cancel()
        await #expect(throws: CancellationError.self) { try await large.value }
        try #require(await settles { budget.waitingCount == 0 }, "the small waiter stayed queued behind a cancelled one")
        #expect(try await small.value == 4)
        #expect(budget.availableUnits == 0)
        budget.release(4)
        budget.release(held)
        #expect(budget.availableUnits == 10)
    }
}

/// Polls `condition` until it holds, for at most 10 s (an upper bound, so a broken semaphore
/// fails the test instead of hanging it).
func settles(_ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return condition()
}

/// The units held at once by concurrent bodies, and the most seen.
final class HeldUnits: Sendable {
    private let units = Mutex((current: 0, maximum: 0))

    var maximum: Int { units.withLock { $0.maximum } }

    func add(_ weight: Int) {
        units.withLock { units in
            units.current += weight
            units.maximum = max(units.maximum, units.current)
        }
    }
}
