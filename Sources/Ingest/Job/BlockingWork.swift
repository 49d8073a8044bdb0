import Dispatch

/// Runs blocking C and file work (probing, hashing, copying) on Dispatch threads, keeping
/// Swift's cooperative pool free for the scheduler, the catalog and the daemon's services.
/// How many run at once is bounded by the scheduler's CPU-heavy limit, not here.
enum BlockingWork {
    private static let queue = DispatchQueue(label: "vidpipe.blocking-work", attributes: .concurrent)

    static func run<Value: Sendable, Failure: Error>(_ body: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(Failure) -> Value in try body() })
            }
        }
        return try result.get()
    }
}
