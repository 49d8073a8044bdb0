import CFFmpeg
import Foundation

/// Runs a frame consumer on a thread of its own, fed through a bounded ``FrameQueue``, so
/// its work overlaps the decode and the other consumers instead of adding to them. The
/// decode thread only takes a new reference to each frame (no pixel copy).
///
/// For consumers that need frames only: packets are not forwarded. `start` runs on the
/// decode thread; an error the consumer throws later is rethrown by ``finish()``.
///
/// `@unchecked Sendable`: the wrapped consumer is touched only by the worker thread from
/// `start` until the worker signals `done`; `failure` is written by the worker before it
/// signals and read by the decode thread only after waiting for that signal.
final class ConcurrentConsumer: FrameConsumer, @unchecked Sendable {
    private let consumer: any FrameConsumer
    private let name: String
    private let queue: FrameQueue
    private let done = DispatchSemaphore(value: 0)
    private var running = false
    private var failure: (any Error)?

    /// `capacity` frames may wait: the decoder's frame pool grows by that many at most.
    init(_ consumer: any FrameConsumer, name: String, capacity: Int = 4) {
        self.consumer = consumer
        self.name = name
        queue = FrameQueue(capacity: capacity)
    }

    func start(_ setup: DecodeSetup) throws {
        try consumer.start(setup)
        running = true
        let thread = Thread { [self] in work() }
        thread.name = name
        // libavfilter runs on this thread's stack; give it a main thread's size.
        thread.stackSize = 8 << 20
        thread.start()
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        queue.push(.video(try reference(frame), seconds: seconds))
    }

    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        queue.push(.audio(try reference(frame), seconds: seconds))
    }

    func finish() throws {
        guard running else { return }
        queue.push(.end)
        done.wait()
        running = false
        if let failure { throw failure }
    }

    deinit {
        // A pass that stopped early never calls finish(): release the thread.
        if running {
            queue.abandon()
            done.wait()
        }
    }

    private func reference(_ frame: UnsafeMutablePointer<AVFrame>) throws(MediaError) -> FrameReference {
        guard let reference = FrameReference(cloning: frame) else {
            throw MediaError(code: .analysisFailed, path: "", message: "\(name): out of memory (frame reference)")
        }
        return reference
    }

    private func work() {
        defer { done.signal() }
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
