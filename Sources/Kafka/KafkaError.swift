import CRdKafka
import Execution

/// The one error type of the Kafka module.
///
/// `code` says what went wrong in terms a caller can branch on; `isRetryable` says whether
/// the same operation may succeed later (a broker down, a timeout) or never will (bad
/// configuration, a message too large), so a scheduler can pick retry or dead-letter
/// without matching strings.
public struct KafkaError: RetryableError, CodedError, CustomStringConvertible, Sendable {
    /// What went wrong. Extensible: new codes may be added, so switch with a default.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case configuration, client, produce, delivery, commit, poll, rebalance, closed
        }
        private let base: Base

        /// Invalid or incomplete configuration; the message names the key at fault.
        public static let configuration = Code(base: .configuration)
        /// librdkafka refused to create a client.
        public static let client = Code(base: .client)
        /// A message could not be queued for sending.
        public static let produce = Code(base: .produce)
        /// The broker did not acknowledge a queued message.
        public static let delivery = Code(base: .delivery)
        /// An offset commit failed.
        public static let commit = Code(base: .commit)
        /// The consumer's poll returned an error.
        public static let poll = Code(base: .poll)
        /// Assigning or revoking partitions failed.
        public static let rebalance = Code(base: .rebalance)
        /// The client was closed before the operation could finish.
        public static let closed = Code(base: .closed)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// Whether trying the same operation again later may succeed.
    public var isRetryable: Bool
    /// A human-readable explanation; never contains secrets.
    public var message: String
    /// librdkafka's error name (e.g. `_MSG_TIMED_OUT`), when the error came from it.
    public var rdKafkaErrorName: String?
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: Int

    /// Creates an error; `file` and `line` default to the caller's location.
    public init(
        _ code: Code, _ message: String, isRetryable: Bool = false, rdKafkaErrorName: String? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.isRetryable = isRetryable
        self.message = message
        self.rdKafkaErrorName = rdKafkaErrorName
        self.file = file
        self.line = line
    }

    public var description: String {
        let retry = isRetryable ? ", retryable" : ""
        return "\(code)\(retry): \(message)"
    }

    /// Wraps a librdkafka response code, classifying whether it is transient.
    init(_ code: Code, _ context: String, rdKafka err: rd_kafka_resp_err_t, file: String = #fileID, line: Int = #line) {
        let name = String(cString: rd_kafka_err2name(err))
        let text = String(cString: rd_kafka_err2str(err))
        self.init(
            code, "\(context): \(text)", isRetryable: Self.transientErrors.contains(err),
            rdKafkaErrorName: name, file: file, line: line)
    }

    /// Wraps and destroys an `rd_kafka_error_t`, which carries its own retriable flag.
    init(_ code: Code, _ context: String, consuming error: OpaquePointer, file: String = #fileID, line: Int = #line) {
        defer { rd_kafka_error_destroy(error) }
        self.init(
            code, "\(context): \(String(cString: rd_kafka_error_string(error)))",
            isRetryable: rd_kafka_error_is_retriable(error) != 0,
            rdKafkaErrorName: String(cString: rd_kafka_error_name(error)), file: file, line: line)
    }

    // Errors that describe the network or the cluster's state rather than the request.
    private static let transientErrors: Set<rd_kafka_resp_err_t> = [
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR__WAIT_COORD,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
    ]
}
