/// A counting semaphore for Swift concurrency: a ``WeightedSemaphore`` whose every holder
/// weighs one permit. Waiters suspend instead of blocking a thread, are served first-in
/// first-out, and leave the queue with `CancellationError` when their task is cancelled.
///
/// Use one instance to bound concurrent DAG runs (jobs), and another as the scheduler's
/// shared limiter for ``ResourceClass/cpuHeavy`` nodes.
public final class AsyncSemaphore: Sendable {
    private let permits: WeightedSemaphore

    /// Creates a semaphore with `permits` concurrent holders (at least 1).
    public init(permits: Int) {
        precondition(permits >= 1, "AsyncSemaphore needs at least one permit")
        self.permits = WeightedSemaphore(capacity: permits)
    }

    /// Waits for a permit. Throws `CancellationError`, without consuming a permit, if the task is
    /// cancelled before one is granted.
    public func acquire() async throws {
        _ = try await permits.acquire(1)
    }

    /// Returns a permit, handing it directly to the oldest waiter if there is one.
    public func release() {
        permits.release(1)
    }

    /// Tasks currently suspended in ``acquire()``; lets tests order waiters deterministically.
    var waitingCount: Int { permits.waitingCount }

    /// Runs `body` while holding a permit.
    public func withPermit<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await permits.withReservation(1, body)
    }
}
