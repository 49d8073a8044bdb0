import Foundation
import Ingest
import Kafka

/// The value of a dead-letter message: why, and the original message (payload as text
/// when it is UTF-8, else base64) with where it came from.
struct DeadLetter: Encodable {
    static let schemaVersion = 1
    static let codeHeader = "vidpipe-error-code"
    /// Payloads are kept whole up to this size; a larger one would not fit a Kafka message.
    static let payloadLimit = 256 * 1024

    var schemaVersion = Self.schemaVersion
    var reason: String
    var errorCode: String
    var requestID: String?
    var jobID: String?
    var originalTopic: String
    var originalPartition: Int32
    var originalOffset: Int64
    var originalKey: String?
    var payload: String?
    var payloadBase64: String?
    var payloadBytes: Int
    var payloadTruncated: Bool
    var failedAt: Date

    init(message: KafkaMessage, reason: String, code: String, requestID: String?, jobID: String?) {
        self.reason = reason
        self.errorCode = code
        self.requestID = requestID
        self.jobID = jobID
        originalTopic = message.topic
        originalPartition = message.partition
        originalOffset = message.offset
        originalKey = message.key.map { String(decoding: $0, as: UTF8.self) }
        let kept = Data(message.value.prefix(Self.payloadLimit))
        if let text = String(data: kept, encoding: .utf8) { payload = text } else { payloadBase64 = kept.base64EncodedString() }
        payloadBytes = message.value.count
        payloadTruncated = message.value.count > Self.payloadLimit
        failedAt = Date()
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", reason, errorCode = "error_code", requestID = "request_id", jobID = "job_id"
        case originalTopic = "original_topic", originalPartition = "original_partition", originalOffset = "original_offset"
        case originalKey = "original_key", payload, payloadBase64 = "payload_base64", payloadBytes = "payload_bytes"
        case payloadTruncated = "payload_truncated", failedAt = "failed_at"
    }
}
