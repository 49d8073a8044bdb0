import Foundation
import Kafka
import Synchronization
import VidpipeTestSupport

/// Runs a consumer and collects what it hands out, so tests can wait with a deadline.
final class ConsumerHarness: Sendable {
    let consumer: KafkaConsumer
    private let received = LockedMessages()
    private let runTask: Task<Void, any Error>
    private let readTask: Task<Void, any Error>

    init(_ configuration: KafkaConfiguration, topic: String, maxInFlight: Int = 16) throws {
        let consumer = try KafkaConsumer(
            configuration: configuration, topics: [topic], maxInFlight: maxInFlight, logHandler: KafkaTestBroker.logHandler)
        self.consumer = consumer
        runTask = Task { try await consumer.run() }
        readTask = Task { [received] in
            for try await message in consumer.messages { received.messages.withLock { $0.append(message) } }
        }
    }

    var messages: [KafkaMessage] { received.messages.withLock { $0 } }

    /// Waits until at least `count` messages arrived; returns all received so far.
    @discardableResult
    func waitForMessages(_ count: Int, timeout: Duration = .seconds(20)) async throws -> [KafkaMessage] {
        try await waitUntil("\(count) messages", timeout: timeout) { self.messages.count >= count }
        return messages
    }

    func close() async throws {
        await consumer.close()
        try await runTask.value
        try await readTask.value
    }
}

/// The messages a harness received, shared with its reading task.
final class LockedMessages: Sendable {
    let messages = Mutex<[KafkaMessage]>([])
}
