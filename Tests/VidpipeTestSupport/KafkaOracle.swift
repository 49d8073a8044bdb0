import Foundation

/// The independent Kafka client: `scripts/kafka_client.py` on confluent-kafka, run with the
/// venv `scripts/services/kafka` installs. Creates topics, produces, and reads topics back.
public struct KafkaOracle: Sendable {
    /// One message read back.
    public struct Record: Decodable, Sendable {
        public var partition: Int32
        public var offset: Int64
        public var key: String?
        public var value: String
        /// `[name, value]` pairs, in order.
        public var headers: [[String]]
    }

    /// The bootstrap servers it talks to.
    public var bootstrap: String

    public init(bootstrap: String) {
        self.bootstrap = bootstrap
    }

    /// Runs `kafka_client.py --bootstrap SERVERS ARGUMENTS` and returns its stdout.
    ///
    /// - Throws: ``ToolFailure`` with the script's stderr when it fails.
    @discardableResult
    public func run(_ arguments: [String]) throws -> String {
        try CommandLineTool.checked(
            PackageDirectory.path(".deps/venv/bin/python"),
            [PackageDirectory.path("scripts/kafka_client.py"), "--bootstrap", bootstrap] + arguments
        ).text
    }

    public func createTopic(_ topic: String, partitions: Int = 1) throws {
        try run(["create-topic", topic, "--partitions", String(partitions)])
    }

    /// Produces one message, to `partition` or to the one the key hashes to.
    public func produce(_ topic: String, key: String, value: String, partition: Int? = nil) throws {
        try run(["produce", topic, "--key", key, "--value", value] + (partition.map { ["--partition", String($0)] } ?? []))
    }

    /// Produces one message whose value is the bytes of `file`.
    public func produce(_ topic: String, key: String, file: String) throws {
        try run(["produce", topic, "--key", key, "--file", file])
    }

    /// Up to `max` messages, read from the start by a new (or the given) group, without committing.
    public func consume(_ topic: String, group: String = KafkaTestBroker.uniqueName("oracle"), max: Int, timeout: Double = 20) throws -> [Record] {
        try run(["consume", topic, "--group", group, "--max", String(max), "--timeout", String(timeout)])
            .split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }

    /// Every message of `topic`, duplicates included: each partition read from the start,
    /// without a group, to its end offset and then until no message came for `quiet`
    /// seconds. For counting what a duplicate would add, where `consume(max:)` stops early.
    ///
    /// - Throws: ``ToolFailure`` when the topic is missing or not read to its end in time.
    public func readAll(_ topic: String, quiet: Double = 1) throws -> [Record] {
        try run(["read-all", topic, "--quiet", String(quiet)])
            .split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }

    /// Reads `topic` whole (``readAll(_:quiet:)``) until it holds at least `count` messages
    /// or `seconds` pass, and returns every message it holds: more than `count` when
    /// something was sent twice.
    public func waitForMessages(_ topic: String, count: Int, within seconds: Double) async throws -> [Record] {
        let deadline = Date().addingTimeInterval(seconds)
        var records = try readAll(topic, quiet: 0.5)
        while records.count < count && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            records = try readAll(topic, quiet: 0.5)
        }
        // Once enough are there, a longer quiet read catches a late duplicate.
        return records.count >= count ? try readAll(topic, quiet: 1) : records
    }
}
