import Synchronization

/// A budget of units (bytes of memory, say) shared by holders of different sizes: a waiter
/// suspends until its weight fits in what is free.
///
/// Waiters are served strictly first-in first-out: a small one that would fit still waits
/// behind a large one that arrived first, so large holders are never starved. A weight above
/// the whole capacity is cut to the capacity: its holder waits until everything is free and
/// then runs alone, instead of waiting forever.
public final class WeightedSemaphore: Sendable {
    private struct Waiter {
        let id: UInt64
        let weight: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0

        /// Takes the oldest waiters' weights while they fit; returns whom to resume.
        mutating func grantFromHead() -> [Waiter] {
            var granted: [Waiter] = []
            while let first = waiters.first, first.weight <= available {
                available -= first.weight
                granted.append(waiters.removeFirst())
            }
            return granted
        }
    }

    /// Units in the budget.
    public let capacity: Int
    private let state: Mutex<State>

    /// Creates a budget of `capacity` units (at least 1), all free.
    public init(capacity: Int) {
        precondition(capacity >= 1, "WeightedSemaphore needs a capacity of at least 1")
        self.capacity = capacity
        state = Mutex(State(available: capacity))
    }

    /// Waits until `weight` units fit and takes them. Returns the units taken (`weight` cut to
    /// 0…``capacity``), which the caller gives back with ``release(_:)``. Throws
    /// `CancellationError`, taking nothing, if the task is cancelled before they are granted.
    public func acquire(_ weight: Int) async throws -> Int {
        let weight = min(max(weight, 0), capacity)
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
                    if state.waiters.isEmpty && weight <= state.available {
                        state.available -= weight
                        return .granted
                    }
                    state.waiters.append(Waiter(id: id, weight: weight, continuation: continuation))
                    return .waiting
                }
                switch decision {
                case .granted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            // A cancelled head may have been what held the waiters behind it back.
            let (removed, granted) = state.withLock { state -> (Waiter?, [Waiter]) in
                guard let position = state.waiters.firstIndex(where: { $0.id == id }) else { return (nil, []) }
                return (state.waiters.remove(at: position), state.grantFromHead())
            }
            removed?.continuation.resume(throwing: CancellationError())
            for waiter in granted { waiter.continuation.resume() }
        }
        return weight
    }

    /// Gives back `units` taken by ``acquire(_:)`` and wakes the oldest waiters that now fit.
    public func release(_ units: Int) {
        let granted = state.withLock { state -> [Waiter] in
            state.available = min(capacity, state.available + units)
            return state.grantFromHead()
        }
        for waiter in granted { waiter.continuation.resume() }
    }

    /// Runs `body` holding `weight` units, given back however it ends (return, throw, cancel).
    public func withReservation<Result: Sendable>(_ weight: Int, _ body: () async throws -> Result) async throws -> Result {
        let taken = try await acquire(weight)
        defer { release(taken) }
        return try await body()
    }

    /// Units not held by anyone.
    public var availableUnits: Int { state.withLock { $0.available } }

    /// Tasks currently suspended in ``acquire(_:)``; lets tests order waiters deterministically.
    var waitingCount: Int { state.withLock { $0.waiters.count } }
}
