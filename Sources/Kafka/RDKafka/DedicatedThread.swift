import Foundation

/// Runs blocking librdkafka calls on a thread of their own, never on the cooperative pool
/// (a blocked pool thread stalls every task of the process on 2 cores).
enum DedicatedThread {
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = name
            thread.start()
        }
    }
}
