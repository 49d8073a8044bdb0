import Foundation
import Kafka
import Synchronization
import Testing

/// The broker the integration tests talk to: `VIDPIPE_TEST_KAFKA` (bootstrap servers),
/// set by the test command after `scripts/services/kafka start`.
enum TestBroker {
    static let bootstrap = ProcessInfo.processInfo.environment["VIDPIPE_TEST_KAFKA"].flatMap { $0.isEmpty ? nil : $0 }
    static let required = ProcessInfo.processInfo.environment["VIDPIPE_REQUIRE_SERVICES"] == "1"

    /// Run when a broker is configured, and also when services are required so that a
    /// missing broker fails loudly instead of skipping.
    static let isEnabled = bootstrap != nil || required
    static let disabledReason: Comment = "VIDPIPE_TEST_KAFKA is not set (run scripts/services/kafka start)"

    static func configuration(group: String = uniqueName("group")) throws -> KafkaConfiguration {
        let servers = try #require(bootstrap, "VIDPIPE_REQUIRE_SERVICES=1 but VIDPIPE_TEST_KAFKA is not set")
        return KafkaConfiguration(
            bootstrapServers: [servers], groupID: group,
            // tansu holds a group join for session.timeout.ms / 2.
            extraProperties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"])
    }

    /// KAFKA_TEST_LOG=1 prints librdkafka's log lines to stderr.
    static let logHandler: KafkaLogHandler? = {
        guard ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"] == "1" else { return nil }
        return { (entry: KafkaLogEntry) in FileHandle.standardError.write(Data("kafka: \(entry)\n".utf8)) }
    }()

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// The independent client: scripts/kafka_client.py on confluent-kafka, from the venv
/// scripts/services/kafka installs.
enum Oracle {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Record: Decodable {
        var partition: Int32
        var offset: Int64
        var key: String?
        var value: String
        var headers: [[String]]
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = root.appending(path: ".deps/venv/bin/python")
        process.arguments = [root.appending(path: "scripts/kafka_client.py").path, "--bootstrap", TestBroker.bootstrap ?? ""] + arguments
        // Output to files, not pipes: Foundation's pipe reads crash on EINTR from other tests'
        // SIGCHLD.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-kafka-client-\(UUID().uuidString)").path
        let outputPath = base + ".out", errorPath = base + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer {
            try? output.close()
            try? errors.close()
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        let errorData = FileManager.default.contents(atPath: errorPath) ?? Data()
        guard process.terminationStatus == 0 else {
            throw OracleFailure(arguments: arguments, stderr: String(decoding: errorData, as: UTF8.self))
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func createTopic(_ topic: String, partitions: Int = 1) throws {
        try run(["create-topic", topic, "--partitions", String(partitions)])
    }

    static func produce(_ topic: String, key: String, value: String, partition: Int? = nil) throws {
        try run(["produce", topic, "--key", key, "--value", value] + (partition.map { ["--partition", String($0)] } ?? []))
    }

    static func consume(_ topic: String, group: String, max: Int, timeout: Int = 20) throws -> [Record] {
        try run(["consume", topic, "--group", group, "--max", String(max), "--timeout", String(timeout)])
            .split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }

    struct OracleFailure: Error, CustomStringConvertible {
        var arguments: [String]
        var stderr: String
        var description: String { "kafka_client.py \(arguments.joined(separator: " ")) failed: \(stderr)" }
    }
}

/// Runs a consumer and collects what it hands out, so tests can wait with a deadline.
final class ConsumerHarness: Sendable {
    let consumer: KafkaConsumer
    private let received = LockedMessages()
    private let runTask: Task<Void, any Error>
    private let readTask: Task<Void, any Error>

    init(_ configuration: KafkaConfiguration, topic: String, maxInFlight: Int = 16) throws {
        let consumer = try KafkaConsumer(
            configuration: configuration, topics: [topic], maxInFlight: maxInFlight, logHandler: TestBroker.logHandler)
        self.consumer = consumer
        runTask = Task { try await consumer.run() }
        readTask = Task { [received] in
            for try await message in consumer.messages { received.messages.withLock { $0.append(message) } }
        }
    }

    var messages: [KafkaMessage] { received.messages.withLock { $0 } }

    /// Waits until at least `count` messages arrived; returns all received so far.
    @discardableResult
    func waitForMessages(_ count: Int, timeout: Duration = .seconds(20)) async throws -> [KafkaMessage] {
        try await waitUntil("\(count) messages", timeout: timeout) { self.messages.count >= count }
        return messages
    }

    func close() async throws {
        await consumer.close()
        try await runTask.value
        try await readTask.value
    }
}

final class LockedMessages: Sendable {
    let messages = Mutex<[KafkaMessage]>([])
}

struct Timeout: Error, CustomStringConvertible {
    var description: String
}

func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { throw Timeout(description: "timed out waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
