import Foundation

/// The one way vidpipe runs blocking C calls (FFmpeg decodes and encodes, librdkafka polls
/// and flushes, libcurl transfers): each call gets a new thread of its own.
///
/// Why not the alternatives:
/// - Swift's cooperative pool has one thread per core; a blocked pool thread stalls every
///   task of the process, and this machine has 2 cores.
/// - A concurrent Dispatch queue grows threads without bound when its work blocks; one
///   narrowed to a fixed width can starve Kafka's poll loops, which must keep running for
///   a client's whole lifetime (or be filled up by them).
///
/// How many blocking calls run at once is bounded elsewhere, by the scheduler's CPU
/// limiter, not here. Creating a thread costs microseconds, nothing next to a probe or a
/// decode. Each thread gets an 8 MiB stack, a main thread's size, because decoders,
/// libavfilter and x264 run on it.
public enum DedicatedThread {
    /// Stack size of every dedicated thread.
    static let stackSize = 8 << 20

    /// The longest thread name the OS keeps, in bytes: a longer name would not be set at all.
    #if os(Linux)
    public static let maximumNameLength = 15
    #else
    public static let maximumNameLength = 63
    #endif

    /// Runs `body` on a new thread named `name` (as `ps -L`, `top -H` and debuggers show it,
    /// cut to ``maximumNameLength`` bytes) and resumes the awaiting task with its
    /// result or its error.
    ///
    /// Cancelling the awaiting task does not stop `body`: a body that should stop early
    /// checks a flag the caller sets from `withTaskCancellationHandler`.
    public static func run<Value: Sendable, Failure: Error>(
        name: String, _ body: @escaping @Sendable () throws(Failure) -> Value
    ) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            start(name: name) {
                continuation.resume(returning: Result { () throws(Failure) -> Value in try body() })
            }
        }
        return try result.get()
    }

    /// Starts `body` on a new thread named `name`, for synchronous code that hands work to
    /// worker threads (e.g. one encoder thread per rendition) and waits for them with
    /// ``Handle/join()``.
    @discardableResult
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Handle {
        let handle = Handle()
        let osName = String(decoding: name.utf8.prefix(maximumNameLength), as: UTF8.self)
        let thread = Thread {
            // Named from inside, through pthreads: Foundation on Linux ignores a name set
            // before `start()`, and the OS refuses (silently) a name over its length limit.
            setCurrentThreadName(osName)
            defer { handle.markFinished() }
            body()
        }
        thread.stackSize = stackSize
        thread.start()
        return handle
    }

    private static func setCurrentThreadName(_ name: String) {
        #if os(Linux)
        _ = linuxSetThreadName?(pthread_self(), name)
        #else
        pthread_setname_np(name)
        #endif
    }

    /// A started thread, to wait for from synchronous code.
    ///
    /// `Sendable`: its only state is a flag read and written under `condition`.
    public final class Handle: @unchecked Sendable {
        private let condition = NSCondition()
        private var finished = false

        fileprivate init() {}

        /// Blocks the calling thread until the thread's body has returned. Returns at once
        /// if it already has; any number of threads may join.
        public func join() {
            condition.lock()
            defer { condition.unlock() }
            while !finished { condition.wait() }
        }

        fileprivate func markFinished() {
            condition.lock()
            defer { condition.unlock() }
            finished = true
            condition.broadcast()
        }
    }
}

#if os(Linux)
/// glibc's `pthread_setname_np`, which Swift's Glibc module hides (it is a GNU extension).
/// Foundation's `Thread.name` setter is no substitute: it sometimes leaves the name unset.
private let linuxSetThreadName: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_setname_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)
}()
#endif
