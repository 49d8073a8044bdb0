import Dispatch
import Synchronization

/// A sleep that gives its memory back the moment it is cancelled, for timeouts raced against
/// work that usually finishes first.
///
/// A cancelled `Task.sleep` returns at once but keeps its sleep task and its Dispatch timer
/// until the deadline passes (swiftlang/swift#60441). Every task of a job races a 30-minute
/// timeout and every PostgreSQL call a 30-second one, so each finished call left about
/// 250 bytes behind for that long: heaptrack found 12,084 such sleeps alive at the end of
/// `scripts/soak 300 kafka`, the slow RSS climb the soak's 10 % bound caught. This sleep
/// cancels its timer instead, which frees it.
public enum CancellableSleep {
    /// Suspends for `duration`.
    /// - Throws: `CancellationError` as soon as the task is cancelled (at once if it already is).
    public static func sleep(for duration: Duration) async throws {
        let sleeper = Sleeper()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                sleeper.start(duration, continuation)
            }
        } onCancel: {
            sleeper.end(with: .failure(CancellationError()))
        }
    }
}

/// One sleep: a one-shot Dispatch timer and the continuation it resumes, ended once by
/// whichever comes first, the timer or the task's cancellation.
///
/// `@unchecked Sendable`: the timer is a Dispatch source, which is thread-safe; the
/// continuation and the ended flag are only touched under the lock.
private final class Sleeper: @unchecked Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var ended = false
    }

    private let timer = DispatchSource.makeTimerSource(queue: .global())
    private let state = Mutex(State())

    func start(_ duration: Duration, _ continuation: CheckedContinuation<Void, any Error>) {
        timer.schedule(deadline: Self.deadline(after: duration))
        timer.setEventHandler { [weak self] in self?.end(with: .success(())) }
        let alreadyEnded = state.withLock { state in
            if !state.ended { state.continuation = continuation }
            return state.ended
        }
        // Activated either way: libdispatch must not release a source that never ran.
        timer.resume()
        if alreadyEnded { continuation.resume(throwing: CancellationError()) }
    }

    /// Cancels the timer (freeing it) and resumes the sleeper; later calls do nothing.
    func end(with result: Result<Void, any Error>) {
        let continuation = state.withLock { state in
            state.ended = true
            return state.continuation.take()
        }
        timer.cancel()
        continuation?.resume(with: result)
    }

    private static func deadline(after duration: Duration) -> DispatchTime {
        let (seconds, attoseconds) = duration.components
        guard seconds < Int64.max / 1_000_000_000 else { return .distantFuture }
        let nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return .now() + .nanoseconds(Int(nanoseconds))
    }
}
