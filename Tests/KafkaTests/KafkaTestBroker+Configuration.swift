import Foundation
import Kafka
import VidpipeTestSupport

extension KafkaTestBroker {
    /// A consumer or producer configuration for the test broker, with short group joins.
    static func configuration(group: String = uniqueName("group")) throws -> KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: [try servers()], groupID: group, extraProperties: clientProperties)
    }

    /// KAFKA_TEST_LOG=1 prints librdkafka's log lines to stderr.
    static let logHandler: KafkaLogHandler? = {
        guard ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"] == "1" else { return nil }
        return { (entry: KafkaLogEntry) in FileHandle.standardError.write(Data("kafka: \(entry)\n".utf8)) }
    }()
}
