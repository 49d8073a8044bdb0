import CFFmpeg
import Execution

/// Runs a frame consumer on a ``DedicatedThread`` of its own, fed through a bounded
/// ``FrameQueue``, so its work overlaps the decode and the other consumers instead of
/// adding to them. The decode thread only takes a new reference to each frame (no pixel copy).
///
/// For consumers that need frames only: packets are not forwarded. `start` runs on the
/// decode thread; an error the consumer throws later is rethrown by ``finish()``.
final class ConcurrentConsumer: FrameConsumer {
    private let name: String
    private let worker: ConsumerThreadState
    private var thread: DedicatedThread.Handle?

    /// `capacity` frames may wait: the decoder's frame pool grows by that many at most.
    init(_ consumer: any FrameConsumer, name: String, capacity: Int = 4) {
        self.name = name
        worker = ConsumerThreadState(consumer: consumer, queue: FrameQueue(capacity: capacity))
    }

    func start(_ setup: DecodeSetup) throws {
        try worker.consumer.start(setup)
        let worker = worker
        thread = DedicatedThread.start(name: name) { worker.run() }
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        worker.queue.push(.video(try reference(frame), seconds: seconds))
    }

    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        worker.queue.push(.audio(try reference(frame), seconds: seconds))
    }

    func finish() throws {
        guard let thread else { return }
        worker.queue.push(.end)
        thread.join()
        self.thread = nil
        if let failure = worker.failure { throw failure }
    }

    deinit {
        // A pass that stopped early never calls finish(): release the thread. The thread
        // holds only `worker`, never `self`, so this runs when the pass drops its consumers.
        if let thread {
            worker.queue.abandon()
            thread.join()
        }
    }

    private func reference(_ frame: UnsafeMutablePointer<AVFrame>) throws(MediaError) -> FrameReference {
        guard let reference = FrameReference(cloning: frame) else {
            throw MediaError(code: .analysisFailed, path: "", message: "\(name): out of memory (frame reference)")
        }
        return reference
    }
}

/// What the worker thread of a ``ConcurrentConsumer`` touches.
///
/// `@unchecked Sendable`: `consumer` and `failure` are used only by the worker thread from
/// `start` until the decode thread has joined it; the decode thread reads `failure` only
/// after joining. `queue` is thread-safe.
private final class ConsumerThreadState: @unchecked Sendable {
    let consumer: any FrameConsumer
    let queue: FrameQueue
    private(set) var failure: (any Error)?

    init(consumer: any FrameConsumer, queue: FrameQueue) {
        self.consumer = consumer
        self.queue = queue
    }

    /// The thread body: hands queued frames to the consumer until the end item or a failure.
    func run() {
        do {
            while let item = queue.pop() {
                switch item {
                case let .video(frame, seconds): try consumer.consumeVideo(frame.pointer, seconds: seconds)
                case let .audio(frame, seconds): try consumer.consumeAudio(frame.pointer, seconds: seconds)
                case .end:
                    try consumer.finish()
                    return
                }
            }
        } catch {
            failure = error
            // Later frames are dropped rather than blocking the decode.
            queue.abandon()
        }
    }
}
