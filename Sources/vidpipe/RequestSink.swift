import Daemon
import Foundation
import Ingest
import Kafka

/// Where `produce` and `watch` send requests: the Kafka requests topic in service mode,
/// the inbox folder in embedded mode.
enum RequestSink: Sendable {
    case inbox(Inbox)
    case kafka(KafkaProducer, topic: String)

    /// The Kafka producer when Kafka is configured, else the lake's inbox.
    static func make(_ bootstrap: Bootstrap) throws -> RequestSink {
        guard let kafka = bootstrap.configuration.kafka else {
            return .inbox(Inbox(layout: bootstrap.configuration.layout))
        }
        do {
            return .kafka(try KafkaProducer(configuration: kafka), topic: bootstrap.configuration.topics.requests)
        } catch {
            FileHandle.standardError.write(Data("vidpipe: cannot start the Kafka producer: \(error)\n".utf8))
            throw ExitStatus.usage
        }
    }

    /// Sends one request; returns where it went, for the user.
    func submit(_ request: IngestRequest) async throws -> String {
        switch self {
        case .inbox(let inbox):
            return try inbox.submit(request)
        case .kafka(let producer, let topic):
            // Keyed by request id: redeliveries of one request land in one partition.
            let report = try await producer.send(
                topic: topic, key: request.requestID, value: try JSONEncoder.vidpipeCompact.encode(request),
                headers: [("vidpipe-schema-version", Array("\(IngestRequest.currentSchemaVersion)".utf8))])
            return "\(report.topic)[\(report.partition)]@\(report.offset)"
        }
    }

    /// Flushes and closes the producer, if any.
    func close() async {
        if case .kafka(let producer, _) = self { await producer.close(timeout: .seconds(10)) }
    }
}
