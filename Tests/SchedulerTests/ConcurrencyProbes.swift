import Execution
import Scheduler
import Synchronization

/// Tracks how many bodies run at once and the highest count seen.
final class ConcurrencyProbe: Sendable {
    private let counts = Mutex((current: 0, maximum: 0))

    var maximum: Int { counts.withLock { $0.maximum } }

    func measure<Result>(_ body: () async throws -> Result) async rethrows -> Result {
        counts.withLock { counts in
            counts.current += 1
            counts.maximum = max(counts.maximum, counts.current)
        }
        defer { counts.withLock { $0.current -= 1 } }
        return try await body()
    }
}

/// Collects values appended from concurrent tasks.
final class ConcurrentLog<Element: Sendable>: Sendable {
    private let elements = Mutex<[Element]>([])

    var all: [Element] { elements.withLock { $0 } }

    func append(_ element: Element) {
        elements.withLock { $0.append(element) }
    }
}

/// Counts calls from concurrent tasks.
final class CallCounter: Sendable {
    private let count = Mutex(0)

    /// Increments and returns the new count.
    @discardableResult
    func next() -> Int {
        count.withLock { count in
            count += 1
            return count
        }
    }

    /// Calls so far.
    var value: Int { count.withLock { $0 } }
}

struct FlakyError: RetryableError, Equatable {
    let isRetryable: Bool
}

struct PlainError: Error, Equatable {}

extension DAGRunResult {
    func transitions(of task: String) -> [TaskTransition] {
        transitions.filter { $0.task == task }
    }
}
