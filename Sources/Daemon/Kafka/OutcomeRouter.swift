import Execution
import Foundation
import Ingest
import Kafka
import Logging
import ServiceLifecycle

/// Publishes a job's outcome: `processed` for accepted jobs and deletions, `dead-letter`
/// for requests that can never succeed. Retries a failed send until the broker takes it
/// (the message is not committed before), or the task is cancelled.
struct OutcomeRouter: Sendable {
    let producer: EventProducer
    let topics: IntakeTopics
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
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
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
            do { try await Task.sleep(for: KafkaIntakeService.retryBackoff.delay(afterAttempt: attempt)) } catch { return false }
        }
        return false
    }
}
