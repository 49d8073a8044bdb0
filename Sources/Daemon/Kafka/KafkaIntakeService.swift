import Catalog
import Execution
import Foundation
import Ingest
import Kafka
import Logging
import Metrics
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
    let topics: IntakeTopics
    let runner: JobRunner
    let logger: Logger
    let router: OutcomeRouter
    let onReady: @Sendable () -> Void

    /// Creates the consumer and the producer.
    ///
    /// The consumer holds up to four messages per job slot (at least 16): jobs are bounded
    /// by the runner, and a small queue ahead keeps partitions from pausing and resuming
    /// (a new fetch round trip) after every message. Fetches wait at most 100 ms for data
    /// unless `fetch.wait.max.ms` is configured: librdkafka's 500 ms made an idle daemon
    /// start jobs tens of milliseconds late on tansu, while 10 ms cost the broker 4 % of a
    /// core per idle daemon.
    ///
    /// `onReady` is called once the consumer, subscribed since `init`, starts fetching
    /// (systemd's READY=1).
    public init(configuration: KafkaConfiguration, topics: IntakeTopics, runner: JobRunner, logger: Logger,
                onReady: @escaping @Sendable () -> Void = {}) throws {
        let logHandler = Self.logHandler(logger, brokers: configuration.bootstrapServers.joined(separator: ","))
        var consumerConfiguration = configuration
        if consumerConfiguration.extraProperties["fetch.wait.max.ms"] == nil {
            consumerConfiguration.extraProperties["fetch.wait.max.ms"] = "100"
        }
        let consumer = try KafkaConsumer(
            configuration: consumerConfiguration, topics: [topics.requests],
            maxInFlight: max(16, 4 * runner.context.configuration.jobConcurrency), logHandler: logHandler)
        let producer = try EventProducer(configuration: configuration, logHandler: logHandler)
        self.consumer = consumer
        self.producer = producer
        self.topics = topics
        self.runner = runner
        self.logger = logger
        self.router = OutcomeRouter(producer: producer, topics: topics, logger: logger)
        self.onReady = onReady
    }

    /// Forwards librdkafka's lines (already free of secrets) to the daemon's log. While no
    /// broker answers, librdkafka repeats the same lines many times a second: a line equal
    /// to one logged in the last 30 s is dropped, and losing every broker is said in plain words.
    static func logHandler(_ logger: Logger, brokers: String) -> KafkaLogHandler {
        let recent = RecentLogLines()
        return { entry in
            // "(after 0ms in state CONNECT, 3 identical error(s) suppressed)" varies between repeats.
            let gist = entry.facility + (entry.message.components(separatedBy: " (after ").first ?? entry.message)
            guard recent.isNew(gist) else { return }
            let level: Logger.Level = switch entry.level {
            case ...3: .error
            case 4: .warning
            case 5...6: .info
            default: .debug
            }
            logger.log(level: level, "\(entry.message)", metadata: ["kafka": "\(entry.facility)"])
            if entry.message.contains("_ALL_BROKERS_DOWN") {
                logger.error("no Kafka broker answers at \(brokers) (KAFKA_BOOTSTRAP_SERVERS): requests wait until one does; start the broker or fix the variable [broker_unreachable]")
            }
        }
    }

    public func run() async throws {
        logger.info("consuming requests", metadata: ["topic": "\(topics.requests)"])
        try await withThrowingTaskGroup(of: Void.self) { polling in
            // Not cancelled on graceful shutdown: close() below ends it after the last commit.
            polling.addTask { try await consumer.run() }
            polling.addTask { await recordLag() }
            onReady()
            await withDiscardingTaskGroup { jobs in
                do {
                    for try await message in consumer.messages.cancelOnGracefulShutdown() {
                        let queued = QueuedMessage()
                        jobs.addTask { await handle(message, queued: queued) }
                    }
                } catch {
                    logger.error("the consumer failed", metadata: [LogKeys.error: "\(error)"])
                }
                logger.info("intake stopped; waiting for jobs in flight", metadata: ["jobs": "\(consumer.messagesInFlight)"])
            }
            await consumer.close()
            await producer.close()
            // The consumer's poll loop has ended with close(); this ends recordLag.
            polling.cancelAll()
            try await polling.waitForAll()
        }
        logger.info("consumer closed")
    }

    /// Records each assigned partition's lag every second, until cancelled.
    private func recordLag() async {
        while !Task.isCancelled {
            for (partition, lag) in consumer.lag() {
                Gauge(label: "vidpipe_kafka_consumer_lag",
                      dimensions: [("topic", partition.topic), ("partition", "\(partition.partition)")]).record(lag)
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// One message: decode, answer from the catalog or run the job, publish, commit.
    private func handle(_ message: KafkaMessage, queued: QueuedMessage) async {
        defer { queued.leave() }
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
        guard let outcome = await recordedOutcome(of: request, logger: logger, admitted: queued.leave) else { return }
        guard await router.publish(outcome, for: message) else { return }
        await commit(message, logger: logger)
    }

    /// The request's recorded outcome: from the catalog when it was done before (a
    /// redelivery), else by running the job until the catalog records it. Nil when the
    /// task was cancelled first (shutdown deadline): the message stays uncommitted.
    private func recordedOutcome(of request: IngestRequest, logger: Logger, admitted: @escaping @Sendable () -> Void) async -> JobOutcome? {
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                if let job = try await runner.context.catalog.job(requestID: request.requestID) {
                    logger.info("request already recorded; not running it again", metadata: [LogKeys.job: "\(job.id)"])
                    return try await JobOutcome.recorded(job, in: runner.context.catalog)
                }
                let outcome = await runner.run(request, origin: .kafka, admitted: admitted)
                // A job cut short by the deadline is not a result to publish.
                if outcome.recorded, !Task.isCancelled { return outcome }
                logger.warning("job not recorded; will run it again", metadata: [LogKeys.error: "\(outcome.message ?? "")"])
            } catch {
                logger.warning("catalog unavailable; will retry", metadata: [LogKeys.error: "\(error)"])
            }
            // Shutting down: leave it uncommitted; the next start (or group member) redoes it.
            guard !Task.isShuttingDownGracefully else { return nil }
            do { try await Task.sleep(for: Self.retryBackoff.delay(afterAttempt: attempt)) } catch { return nil }
        }
        return nil
    }

    /// How long to wait before running a job the catalog could not record again.
    static let retryBackoff = BackoffPolicy(initial: .milliseconds(500), maximum: .seconds(30))

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

/// A message counted in `vidpipe_intake_queue_depth{origin="kafka"}` from its arrival until
/// its job holds a slot (or it needs none); leaving twice counts once.
private final class QueuedMessage: Sendable {
    private let waiting = Mutex(true)

    init() { Self.depth.increment() }

    @Sendable func leave() {
        if waiting.withLock({ waiting in defer { waiting = false }; return waiting }) { Self.depth.decrement() }
    }

    private static var depth: Meter { Meter(label: "vidpipe_intake_queue_depth", dimensions: [("origin", "kafka")]) }
}

/// librdkafka lines logged lately, by gist, shared by librdkafka's threads.
private final class RecentLogLines: Sendable {
    private let lastLogged = Mutex([String: ContinuousClock.Instant]())

    /// Whether `gist` was not logged in the last 30 s; records it as logged now if so.
    func isNew(_ gist: String) -> Bool {
        let now = ContinuousClock.now
        return lastLogged.withLock { seen in
            if let last = seen[gist], now - last < .seconds(30) { return false }
            if seen.count > 1_000 { seen.removeAll() }  // bounded: gists carry no unbounded data, but be safe
            seen[gist] = now
            return true
        }
    }
}
