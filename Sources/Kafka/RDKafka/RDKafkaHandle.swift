import CRdKafka
import Foundation

/// State librdkafka's C callbacks reach through the configuration's opaque pointer.
///
/// Immutable after creation except for what ``ConsumerState`` guards itself, so sharing it
/// with librdkafka's threads is safe.
final class RDKafkaCallbackContext: Sendable {
    let logHandler: KafkaLogHandler?
    /// Values replaced by `***` in every log line.
    let secrets: [String]
    /// Present for consumers: the rebalance callback updates it.
    let consumerState: ConsumerState?

    init(logHandler: KafkaLogHandler?, secrets: [String], consumerState: ConsumerState? = nil) {
        self.logHandler = logHandler
        self.secrets = secrets
        self.consumerState = consumerState
    }

    func log(level: Int, facility: String, _ message: String) {
        guard let logHandler else { return }
        var text = message
        for secret in secrets { text = text.replacingOccurrences(of: secret, with: "***") }
        logHandler(KafkaLogEntry(level: level, facility: facility, message: text))
    }

    static func from(_ rk: OpaquePointer?) -> RDKafkaCallbackContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// Owns one `rd_kafka_t` and destroys it in `deinit`.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe for every call this module
/// makes from several threads (produce, commit, pause, poll from one thread at a time),
/// and the pointer itself never changes.
final class RDKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The consumer's queue, kept to wake a blocked `rd_kafka_consumer_poll`; nil for producers.
    let consumerQueue: OpaquePointer?
    /// Kept alive as long as `pointer`: librdkafka holds it unretained as its opaque.
    let context: RDKafkaCallbackContext

    /// Creates a client. `configure` installs callbacks on the `rd_kafka_conf_t` before
    /// the properties are applied.
    init(
        type: rd_kafka_type_t, properties: [(String, String)], context: RDKafkaCallbackContext,
        configure: (OpaquePointer) -> Void
    ) throws {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(.client, "rd_kafka_conf_new failed") }
        var confOwned = true
        defer { if confOwned { rd_kafka_conf_destroy(conf) } }

        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, text in
            guard let context = RDKafkaCallbackContext.from(rk) else { return }
            context.log(
                level: Int(level), facility: facility.map { String(cString: $0) } ?? "",
                text.map { String(cString: $0) } ?? "")
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, _ in
            guard let context = RDKafkaCallbackContext.from(rk) else { return }
            let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(err)))
            context.log(level: 3, facility: "ERROR", "\(name): \(reason.map { String(cString: $0) } ?? "")")
        }
        configure(conf)
        try Self.apply(properties, to: conf, context: context)

        var errorText = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            let text = errorText.withUnsafeBufferPointer { String(validatingCString: $0.baseAddress!) ?? "" }
            throw KafkaError(.client, "rd_kafka_new: \(text)")
        }
        confOwned = false  // rd_kafka_new took it.
        self.pointer = rk
        self.context = context
        if type == RD_KAFKA_CONSUMER {
            // Route the main queue (errors, logs if queued) through rd_kafka_consumer_poll.
            rd_kafka_poll_set_consumer(rk)
            self.consumerQueue = rd_kafka_queue_get_consumer(rk)
        } else {
            self.consumerQueue = nil
        }
    }

    deinit {
        if let consumerQueue { rd_kafka_queue_destroy(consumerQueue) }
        rd_kafka_destroy(pointer)
    }

    private static func apply(_ properties: [(String, String)], to conf: OpaquePointer, context: RDKafkaCallbackContext) throws {
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            switch result {
            case RD_KAFKA_CONF_OK:
                continue
            case RD_KAFKA_CONF_UNKNOWN:
                // Java-only keys from client.properties files; librdkafka has no use for them.
                context.log(level: 4, facility: "CONFIG", "ignoring property \(key): unknown to librdkafka")
            default:
                // librdkafka's text may quote the value; keep secrets out of the error.
                var text = errorText.withUnsafeBufferPointer { String(validatingCString: $0.baseAddress!) ?? "" }
                for secret in context.secrets { text = text.replacingOccurrences(of: secret, with: "***") }
                throw KafkaError(.configuration, "\(key): \(text)")
            }
        }
    }
}
