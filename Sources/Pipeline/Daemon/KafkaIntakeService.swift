import Catalog
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// The service-mode daemon's intake: requests from a Kafka topic, read in a consumer group,
/// each run as a job; outcomes go to the processed and dead-letter topics.
///
/// Delivery is at least once and processing idempotent. A message's offset is committed
/// only after its outcome is recorded in the catalog and its event acknowledged by the
/// broker; a request whose `request_id` is already recorded is answered from the catalog
/// without running it again. A job the catalog could not record (the database is down) is
/// retried with backoff and never committed unrecorded.
///
/// On graceful shutdown it stops taking messages; jobs in flight finish (the service
/// group's deadline bounds them), what finished is committed, then the consumer leaves
/// the group and the producer flushes.
public struct KafkaIntakeService: Service {
    let consumer: KafkaConsumer
    let producer: EventProducer
    let topics: KafkaConfiguration.Topics
    let runner: JobRunner
    let logger: Logger
    let router: OutcomeRouter

    /// Creates the consumer and the producer.
    ///
    /// The consumer holds up to four messages per job slot (at least 16): jobs are bounded
    /// by the runner, and a small queue ahead keeps partitions from pausing and resuming
    /// (a new fetch round trip) after every message. Fetches wait at most 100 ms for data
    /// unless `fetch.wait.max.ms` is configured: librdkafka's 500 ms made an idle daemon
    /// start jobs tens of milliseconds late on tansu, while 10 ms cost the broker 4 % of a
    /// core per idle daemon.
    public init(configuration: KafkaConfiguration, runner: JobRunner, logger: Logger) throws {
        let logHandler = Self.logHandler(logger)
        var consumerConfiguration = configuration
        if consumerConfiguration.extraProperties["fetch.wait.max.ms"] == nil {
            consumerConfiguration.extraProperties["fetch.wait.max.ms"] = "100"
        }
        let consumer = try KafkaConsumer(
            configuration: consumerConfiguration, topics: [configuration.topics.requests],
            maxInFlight: max(16, 4 * runner.context.configuration.jobConcurrency), logHandler: logHandler)
        let producer = try EventProducer(configuration: configuration, logHandler: logHandler)
        self.consumer = consumer
        self.producer = producer
        self.topics = configuration.topics
        self.runner = runner
        self.logger = logger
        self.router = OutcomeRouter(producer: producer, topics: configuration.topics, logger: logger)
    }

    /// Forwards librdkafka's lines (already free of secrets) to the daemon's log.
    static func logHandler(_ logger: Logger) -> KafkaLogHandler {
        { entry in
            let level: Logger.Level = switch entry.level {
            case ...3: .error
            case 4: .warning
            case 5...6: .info
            default: .debug
            }
            logger.log(level: level, "\(entry.message)", metadata: ["kafka": "\(entry.facility)"])
        }
    }

    public func run() async throws {
        logger.info("consuming requests", metadata: ["topic": "\(topics.requests)"])
        try await withThrowingTaskGroup(of: Void.self) { polling in
            // Not cancelled on graceful shutdown: close() below ends it after the last commit.
            polling.addTask { try await consumer.run() }
            await withDiscardingTaskGroup { jobs in
                do {
                    for try await message in consumer.messages.cancelOnGracefulShutdown() {
                        jobs.addTask { await handle(message) }
                    }
                } catch {
                    logger.error("the consumer failed", metadata: [LogKeys.error: "\(error)"])
                }
                logger.info("intake stopped; waiting for jobs in flight", metadata: ["jobs": "\(consumer.messagesInFlight)"])
            }
            await consumer.close()
            await producer.close()
            try await polling.waitForAll()
        }
        logger.info("consumer closed")
    }

    /// One message: decode, answer from the catalog or run the job, publish, commit.
    private func handle(_ message: KafkaMessage) async {
        let origin = "\(message.topic)/\(message.partition)/\(message.offset)"
        var logger = logger
        logger[metadataKey: "message"] = "\(origin)"
        let request: IngestRequest
        do {
            request = try IngestRequest.decode(Data(message.value), origin: origin)
        } catch {
            logger.warning("dead-lettering an unusable request", metadata: [LogKeys.error: "\(error.message)"])
            guard await router.deadLetter(message, reason: error.message, code: error.code.rawValue, requestID: nil) else { return }
            await commit(message, logger: logger)
            return
        }
        logger[metadataKey: LogKeys.request] = "\(request.requestID)"
        guard let outcome = await recordedOutcome(of: request, logger: logger) else { return }
        guard await router.publish(outcome, for: message) else { return }
        await commit(message, logger: logger)
    }

    /// The request's recorded outcome: from the catalog when it was done before (a
    /// redelivery), else by running the job until the catalog records it. Nil when the
    /// task was cancelled first (shutdown deadline): the message stays uncommitted.
    private func recordedOutcome(of request: IngestRequest, logger: Logger) async -> JobOutcome? {
        var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30))
        while !Task.isCancelled {
            do {
                if let job = try await runner.context.catalog.job(requestID: request.requestID) {
                    logger.info("request already recorded; not running it again", metadata: [LogKeys.job: "\(job.id)"])
                    return JobOutcome(recorded: job)
                }
                let outcome = await runner.run(request, origin: .kafka)
                // A job cut short by the deadline is not a result to publish.
                if outcome.recorded, !Task.isCancelled { return outcome }
                logger.warning("job not recorded; will run it again", metadata: [LogKeys.error: "\(outcome.message ?? "")"])
            } catch {
                logger.warning("catalog unavailable; will retry", metadata: [LogKeys.error: "\(error)"])
            }
            // Shutting down: leave it uncommitted; the next start (or group member) redoes it.
            guard !Task.isShuttingDownGracefully else { return nil }
            do { try await Task.sleep(for: backoff.next()) } catch { return nil }
        }
        return nil
    }

    private func commit(_ message: KafkaMessage, logger: Logger) async {
        do {
            if try await consumer.commit(message) == .revoked {
                logger.info("partition revoked before commit; its new owner answers from the catalog")
            }
        } catch {
            logger.warning("offset commit failed; the message will be redelivered", metadata: [LogKeys.error: "\(error)"])
        }
    }
}

/// Publishes a job's outcome: `processed` for accepted jobs and deletions, `dead-letter`
/// for requests that can never succeed. Retries a failed send until the broker takes it
/// (the message is not committed before), or the task is cancelled.
struct OutcomeRouter: Sendable {
    let producer: EventProducer
    let topics: KafkaConfiguration.Topics
    let logger: Logger

    /// Sends the event for `outcome`; false when cancelled before the broker took it.
    func publish(_ outcome: JobOutcome, for message: KafkaMessage) async -> Bool {
        if outcome.isAccepted {
            let event = ProcessedEvent(outcome: outcome)
            let value = (try? JSONEncoder.vidpipeCompact.encode(event)) ?? Data()
            return await send(topic: topics.processed, key: outcome.requestID, value: value,
                              headers: [(ProcessedEvent.schemaHeader, Array("\(ProcessedEvent.schemaVersion)".utf8))])
        }
        return await deadLetter(message, reason: outcome.message ?? "rejected", code: outcome.errorCode ?? "rejected",
                                requestID: outcome.requestID, jobID: outcome.jobID)
    }

    /// Sends `message` to the dead-letter topic with the reason and its own headers.
    func deadLetter(_ message: KafkaMessage, reason: String, code: String, requestID: String?, jobID: String? = nil) async -> Bool {
        let letter = DeadLetter(message: message, reason: reason, code: code, requestID: requestID, jobID: jobID)
        let value = (try? JSONEncoder.vidpipeCompact.encode(letter)) ?? Data()
        let headers = message.headers.map { ($0.key, $0.value) } + [(DeadLetter.codeHeader, Array(code.utf8))]
        return await send(topic: topics.deadLetter, key: requestID ?? message.key.map { String(decoding: $0, as: UTF8.self) },
                          value: value, headers: headers)
    }

    private func send(topic: String, key: String?, value: Data, headers: [(String, [UInt8])]) async -> Bool {
        var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(30))
        while !Task.isCancelled {
            do {
                let report = try await producer.send(topic: topic, key: key, value: value, headers: headers)
                logger.debug("event sent", metadata: ["topic": "\(report.topic)", "partition": "\(report.partition)", "offset": "\(report.offset)"])
                return true
            } catch {
                logger.warning("event not sent; will retry", metadata: ["topic": "\(topic)", LogKeys.error: "\(error)"])
                await producer.replace(after: error)
            }
            // Shutting down: the message stays uncommitted and is answered again from the catalog.
            guard !Task.isShuttingDownGracefully else { return false }
            do { try await Task.sleep(for: backoff.next()) } catch { return false }
        }
        return false
    }
}

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

/// The value of a `processed` event: the job's outcome (as `vidpipe process --json` shows
/// it) with the event schema's version and what happened to the file.
struct ProcessedEvent: Encodable {
    static let schemaVersion = 1
    static let schemaHeader = "vidpipe-schema-version"
    var outcome: JobOutcome

    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }

    func encode(to encoder: any Encoder) throws {
        try outcome.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schemaVersion, forKey: .schemaVersion)
    }
}

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

/// Exponential backoff: `initial`, doubling, at most `maximum`.
struct Backoff {
    var current: Duration
    let maximum: Duration

    init(initial: Duration, maximum: Duration) {
        current = initial
        self.maximum = maximum
    }

    mutating func next() -> Duration {
        defer { current = min(current * 2, maximum) }
        return current
    }
}

extension JobOutcome {
    /// The outcome of a job recorded earlier, for a redelivered request.
    init(recorded job: JobRecord) {
        self.init(
            jobID: job.id, requestID: job.requestID ?? "", path: job.sourcePath, state: job.state, verdict: job.verdict,
            errorCode: job.errorCode, message: job.errorMessage, videoID: job.videoID, duplicateOf: job.duplicateOf,
            sha256: nil, durationSeconds: nil, findings: [], notifications: [], logPath: job.logPath ?? "", recorded: true)
    }
}
