import Foundation
import Kafka
import Synchronization

/// The idempotent producer of the daemon's events, replaced by a fresh one when a message
/// times out undelivered.
///
/// A producer's idempotence state (producer id, sequence numbers) can be wedged for good
/// when a broker loses it, e.g. a broker restarted without its storage: librdkafka then
/// bumps epochs forever and nothing is delivered. A new producer starts a new sequence.
/// Sends are bounded by `message.timeout.ms` (default here 15 s, unless configured).
final class EventProducer: Sendable {
    private let configuration: KafkaConfiguration
    private let logHandler: KafkaLogHandler
    private let current: Mutex<KafkaProducer>

    init(configuration: KafkaConfiguration, logHandler: @escaping KafkaLogHandler) throws {
        var configuration = configuration
        if configuration.extraProperties["message.timeout.ms"] == nil {
            configuration.extraProperties["message.timeout.ms"] = "15000"
        }
        self.configuration = configuration
        self.logHandler = logHandler
        current = Mutex(try KafkaProducer(configuration: configuration, logHandler: logHandler))
    }

    func send(topic: String, key: String?, value: Data, headers: [(String, [UInt8])]) async throws -> KafkaDeliveryReport {
        try await current.withLock { $0 }.send(topic: topic, key: key, value: value, headers: headers)
    }

    /// Swaps in a new producer after a delivery failure; other failures keep the current one.
    func replace(after error: any Error) async {
        guard let error = error as? KafkaError, error.code == .delivery,
              let fresh = try? KafkaProducer(configuration: configuration, logHandler: logHandler)
        else { return }
        let old = current.withLock { current in
            defer { current = fresh }
            return current
        }
        await old.close(timeout: .milliseconds(100))
    }

    func close() async {
        await current.withLock { $0 }.close(timeout: .seconds(10))
    }
}
