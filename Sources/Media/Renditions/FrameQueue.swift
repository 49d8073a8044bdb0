import Foundation

/// A small bounded hand-off from the decode thread to one worker thread (a rung's
/// encoder, or a ``ConcurrentConsumer``).
///
/// The decode thread blocks once `capacity` frames wait, so memory stays bounded by
/// queue depth however slow a rung is; an encoder that gave up ``abandon()``s the queue
/// and the decode thread stops feeding it instead of blocking forever.
///
/// `@unchecked Sendable`: its only mutable state is read and written under `condition`.
final class FrameQueue: @unchecked Sendable {
    enum Item: Sendable {
        case video(FrameReference, seconds: Double)
        case audio(FrameReference, seconds: Double)
        case end
    }

    private struct State {
        var items: [Item] = []
        var abandoned = false
    }

    private let capacity: Int
    // A condition, not DedicatedThread or an AsyncStream: both sides are plain threads that must block (full / empty).
    private let condition = NSCondition()
    private var state = State()

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Waits for room, then appends; drops the item if the consumer abandoned the queue.
    func push(_ item: Item) {
        condition.lock()
        defer { condition.unlock() }
        while state.items.count >= capacity && !state.abandoned { condition.wait() }
        guard !state.abandoned else { return }
        state.items.append(item)
        condition.broadcast()
    }

    /// Waits for the next item; nil once the queue is abandoned.
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while state.items.isEmpty && !state.abandoned { condition.wait() }
        guard !state.abandoned else { return nil }
        let item = state.items.removeFirst()
        condition.broadcast()
        return item
    }

    /// Either side gives up: waiting producers and consumers return, later pushes are dropped.
    func abandon() {
        condition.lock()
        defer { condition.unlock() }
        state.abandoned = true
        state.items.removeAll()
        condition.broadcast()
    }
}
