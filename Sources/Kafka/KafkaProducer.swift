import CRdKafka
import Execution
import Foundation
import Synchronization

/// An idempotent producer whose ``send(topic:key:value:headers:)`` returns once the broker
/// acknowledged the message.
///
/// `enable.idempotence=true`: librdkafka retries without duplicating or reordering. A
/// ``DedicatedThread`` serves delivery reports (`rd_kafka_poll`); each message carries a
/// retained pointer to the continuation its report resumes. Sendable because its state is
/// the thread-safe librdkafka handle and a lock.
public final class KafkaProducer: Sendable {
    private let handle: RDKafkaHandle
    /// Set once closing starts: later sends fail, and the poll thread stops.
    private let closing: Mutex<Bool>
    private let stopPolling: StopFlag

    /// Creates the producer and starts its delivery-report thread.
    /// - Parameters:
    ///   - configuration: servers and security; `extraProperties` may add e.g. `linger.ms`.
    ///   - logHandler: receives librdkafka's log lines (secrets removed).
    public init(configuration: KafkaConfiguration, logHandler: KafkaLogHandler? = nil) throws {
        try configuration.validate()
        let context = RDKafkaCallbackContext(logHandler: logHandler, secrets: configuration.secrets)
        let properties = [("enable.idempotence", "true")] + configuration.clientProperties
        handle = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: properties, context: context) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, _ in
                guard let message, let opaque = message.pointee._private else { return }
                let waiter = Unmanaged<DeliveryWaiter>.fromOpaque(opaque).takeRetainedValue()
                let raw = message.pointee
                if raw.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    waiter.continuation.resume(
                        returning: KafkaDeliveryReport(topic: waiter.topic, partition: raw.partition, offset: raw.offset))
                } else {
                    waiter.continuation.resume(throwing: KafkaError(.delivery, "deliver to \(waiter.topic)", rdKafka: raw.err))
                }
            }
        }
        closing = Mutex(false)
        stopPolling = StopFlag()
        let (handle, stopPolling) = (handle, stopPolling)
        DedicatedThread.start(name: "kafka-producer") {
            while !stopPolling.isSet { rd_kafka_poll(handle.pointer, 100) }
        }
    }

    deinit { stopPolling.set() }

    /// Sends one message and waits for the broker's acknowledgement.
    /// - Parameters:
    ///   - key: the partitioning key (UTF-8); nil for none.
    ///   - headers: name/value pairs, in order.
    /// - Returns: where the message was stored.
    /// - Throws: ``KafkaError`` `.produce` when it cannot be queued (e.g. unknown topic,
    ///   too large), `.delivery` when the broker never acknowledged it, `.closed` after
    ///   ``close(timeout:)``.
    public func send(
        topic: String, key: String?, value: [UInt8], headers: [(String, [UInt8])] = []
    ) async throws -> KafkaDeliveryReport {
        try await withCheckedThrowingContinuation { continuation in
            guard !closing.withLock({ $0 }) else {
                return continuation.resume(throwing: KafkaError(.closed, "producer closed; not sending to \(topic)"))
            }
            let headerList = rd_kafka_headers_new(headers.count)!
            for (name, bytes) in headers {
                _ = bytes.withUnsafeBytes { rd_kafka_header_add(headerList, name, -1, $0.baseAddress, $0.count) }
            }
            let waiter = Unmanaged.passRetained(DeliveryWaiter(topic: topic, continuation: continuation))
            let keyBytes = key.map { Array($0.utf8) } ?? []
            let err = value.withUnsafeBytes { valueBuffer in
                keyBytes.withUnsafeBytes { keyBuffer in
                    vp_rd_kafka_produce(
                        handle.pointer, topic, key == nil ? nil : keyBuffer.baseAddress, keyBuffer.count,
                        valueBuffer.baseAddress, valueBuffer.count, headerList, waiter.toOpaque())
                }
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                // Not queued: the headers and the waiter are still ours.
                rd_kafka_headers_destroy(headerList)
                waiter.release()
                continuation.resume(throwing: KafkaError(.produce, "produce to \(topic)", rdKafka: err))
            }
        }
    }

    /// Sends one message; see ``send(topic:key:value:headers:)-([UInt8])``.
    public func send(
        topic: String, key: String?, value: Data, headers: [(String, [UInt8])] = []
    ) async throws -> KafkaDeliveryReport {
        try await send(topic: topic, key: key, value: [UInt8](value), headers: headers)
    }

    /// Waits up to `timeout` for every queued message to be acknowledged; returns whether
    /// the queue emptied.
    @discardableResult
    public func flush(timeout: Duration) async -> Bool {
        let handle = handle
        let milliseconds = Self.milliseconds(timeout)
        return await DedicatedThread.run(name: "kafka-flush") {
            rd_kafka_flush(handle.pointer, milliseconds) == RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Stops accepting sends, waits up to `timeout` for outstanding ones, fails the rest
    /// (their ``send(topic:key:value:headers:)-([UInt8])`` throws `.delivery`), and stops
    /// the delivery-report thread.
    public func close(timeout: Duration = .seconds(10)) async {
        let alreadyClosing = closing.withLock { closing in
            defer { closing = true }
            return closing
        }
        guard !alreadyClosing else { return }
        let (handle, stopPolling) = (handle, stopPolling)
        let milliseconds = Self.milliseconds(timeout)
        await DedicatedThread.run(name: "producer-close") {
            if rd_kafka_flush(handle.pointer, milliseconds) != RD_KAFKA_RESP_ERR_NO_ERROR {
                rd_kafka_purge(handle.pointer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                // Serve the purged messages' reports so every waiting send returns.
                rd_kafka_flush(handle.pointer, 1000)
            }
            stopPolling.set()
        }
    }

    /// A librdkafka timeout argument: whole milliseconds, clamped to `0...Int32.max`.
    static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(min(max(duration.milliseconds, 0), Double(Int32.max)))
    }
}

/// What a delivery report needs to answer its `send`, passed through librdkafka as the
/// message's opaque pointer.
private final class DeliveryWaiter {
    let topic: String
    let continuation: CheckedContinuation<KafkaDeliveryReport, any Error>

    init(topic: String, continuation: CheckedContinuation<KafkaDeliveryReport, any Error>) {
        self.topic = topic
        self.continuation = continuation
    }
}

/// A one-way flag the poll thread checks between polls.
private final class StopFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
