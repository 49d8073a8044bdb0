import Synchronization

/// A counting semaphore for Swift concurrency: waiters suspend instead of blocking a thread,
/// are served first-in first-out, and leave the queue with `CancellationError` when their task is cancelled.
///
/// Use one instance to bound concurrent DAG runs (jobs), and another as the scheduler's
/// shared limiter for ``ResourceClass/cpuHeavy`` nodes.
public final class AsyncSemaphore: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var availablePermits: Int
        var waiters: [Waiter] = []
        /// Index of the oldest waiter; dequeuing advances it instead of shifting the array.
        var head = 0
        var nextWaiterID: UInt64 = 0

        var hasWaiters: Bool { head < waiters.count }

        mutating func dequeue() -> Waiter? {
            guard hasWaiters else { return nil }
            let waiter = waiters[head]
            head += 1
            if head * 2 >= waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            return waiter
        }
    }

    private let state: Mutex<State>

    /// Creates a semaphore with `permits` concurrent holders (at least 1).
    public init(permits: Int) {
        precondition(permits >= 1, "AsyncSemaphore needs at least one permit")
        state = Mutex(State(availablePermits: permits))
    }

    /// Waits for a permit. Throws `CancellationError`, without consuming a permit, if the task is
    /// cancelled before one is granted.
    public func acquire() async throws {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Decision { case granted, cancelled, waiting }
                let decision = state.withLock { state -> Decision in
                    // Checked under the lock: a cancellation handler that ran before this point found no
                    // waiter to remove, so the cancelled flag it follows must be seen here.
                    if Task.isCancelled { return .cancelled }
                    if state.availablePermits > 0 && !state.hasWaiters {
                        state.availablePermits -= 1
                        return .granted
                    }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return .waiting
                }
                switch decision {
                case .granted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let removed = state.withLock { state -> Waiter? in
                guard let position = state.waiters[state.head...].firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: position)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Returns a permit, handing it directly to the oldest waiter if there is one.
    public func release() {
        let next = state.withLock { state -> Waiter? in
            if let waiter = state.dequeue() { return waiter }
            state.availablePermits += 1
            return nil
        }
        next?.continuation.resume()
    }

    /// Tasks currently suspended in ``acquire()``; lets tests order waiters deterministically.
    var waitingCount: Int {
        state.withLock { $0.waiters.count - $0.head }
    }

    /// Runs `body` while holding a permit.
    public func withPermit<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await acquire()
        defer { release() }
        return try await body()
    }
}
