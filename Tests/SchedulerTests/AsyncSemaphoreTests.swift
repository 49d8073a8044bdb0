@testable import Scheduler
import Testing

@Suite struct AsyncSemaphoreTests {
    @Test func boundsConcurrency() async throws {
        let semaphore = AsyncSemaphore(permits: 3)
        let probe = ConcurrencyProbe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await semaphore.withPermit {
                        try await probe.measure { try await Task.sleep(for: .milliseconds(10)) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect((1...3).contains(probe.maximum))  // never above the permits; reaching them depends on the pool
    }

    @Test func servesWaitersInArrivalOrder() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        let order = ConcurrentLog<Int>()
        try await semaphore.acquire()
        var waiters: [Task<Void, any Error>] = []
        for number in 1...5 {
            waiters.append(Task {
                try await semaphore.acquire()
                order.append(number)
                semaphore.release()
            })
            while semaphore.waitingCount < number { await Task.yield() }
        }
        semaphore.release()
        for waiter in waiters { try await waiter.value }
        #expect(order.all == [1, 2, 3, 4, 5])
    }

    @Test func cancelledWaiterLeavesTheQueueWithoutTakingAPermit() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        try await semaphore.acquire()
        let waiter = Task { try await semaphore.acquire() }
        while semaphore.waitingCount < 1 { await Task.yield() }
        waiter.cancel()

        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(semaphore.waitingCount == 0)
        semaphore.release()
        // The permit came back to the semaphore rather than to the cancelled waiter.
        try await semaphore.acquire()
    }

    @Test func alreadyCancelledTaskDoesNotAcquire() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        let attempt = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await semaphore.acquire()
        }
        await #expect(throws: CancellationError.self) { try await attempt.value }
        try await semaphore.acquire()
    }
}
