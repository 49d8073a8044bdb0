import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// A lake set up for service mode: its own topics and consumer group on the test broker,
/// mail over SMTP to the shared test server (aiosmtpd), addressed to a team address of its
/// own so every job mails and its mail can be told from other tests' in the shared Maildir.
struct ServiceLake {
    var lake: TestLake
    let oracle: KafkaOracle
    let requests = KafkaTestBroker.uniqueName("requests")
    let processed = KafkaTestBroker.uniqueName("processed")
    let deadLetter = KafkaTestBroker.uniqueName("dead-letter")
    let group = KafkaTestBroker.uniqueName("vidpipe")
    /// This lake's `EMAIL_RECEIVER`: the envelope recipient of all its mail.
    let recipient = SMTPTestServer.uniqueRecipient()

    init(bootstrap: String? = nil, partitions: Int = 1, environment: [String: String] = [:], clientProperties: [String: String] = [:]) throws {
        let servers = try bootstrap ?? KafkaTestBroker.servers()
        oracle = KafkaOracle(bootstrap: servers)
        lake = try TestLake()
        let properties = lake.scratch.path("client.properties")
        let lines = KafkaTestBroker.clientProperties.merging(clientProperties) { _, new in new }
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        try Data(lines.utf8).write(to: URL(fileURLWithPath: properties))
        lake.environment = [
            "KAFKA_BOOTSTRAP_SERVERS": servers, "KAFKA_GROUP_ID": group, "KAFKA_CLIENT_PROPERTIES": properties,
            "KAFKA_TOPIC_REQUESTS": requests, "KAFKA_TOPIC_PROCESSED": processed, "KAFKA_TOPIC_DEAD_LETTER": deadLetter,
            "VIDPIPE_JOB_CONCURRENCY": "2", "VIDPIPE_LOG_LEVEL": "info",
        ].merging(try SMTPTestServer.mailEnvironment(to: recipient)) { _, new in new }.merging(environment) { _, new in new }
        try oracle.createTopic(requests, partitions: partitions)
        try oracle.createTopic(processed)
        try oracle.createTopic(deadLetter)
    }

    /// A valid request for `path`, as the JSON text a producer sends.
    static func request(id: String, path: String, event: String? = nil) -> String {
        var fields = #""schema_version": 1, "request_id": "\#(id)", "path": "\#(path)", "submitted_at": "2026-01-01T00:00:00Z""#
        if let event { fields += #", "event": "\#(event)""# }
        return "{\(fields)}"
    }

    /// A distinct tiny clip (320x240, 1 s): the title makes its bytes, and so its hash, unique.
    /// Not a `scripts/clips` recipe: only these tests need one clip per request.
    func clip(_ name: String, size: String = "320x240", seconds: Int = 1) throws -> String {
        try lake.distinctClip(name, size: size, seconds: seconds)
    }

    /// Mail of `kind` (`ready`, `rejected`, `deleted`, ...) the shared SMTP server received
    /// for this lake, once per delivery: a mail sent twice counts twice.
    func mails(kind: String) throws -> [Maildir.Mail] {
        try Maildir.shared().mails(to: recipient).filter { $0.kind == kind }
    }

    /// Catalog rows, through the `sqlite3` CLI; none while the daemon has not created the
    /// catalog yet. A failing query throws.
    func rows(_ sql: String) throws -> [[String: JSONValue]] {
        try lake.catalogRows(sql)
    }

    /// How many times each request's job decoded its source: `silver.media` starts in the
    /// job logs, whose `job.started` line names the request. A job run again shows here even
    /// when the catalog refused to record it twice.
    func decodes() throws -> [String: Int] {
        try lake.taskStarts("silver.media")
    }

    /// What "each once" looks like: every request id mapped to 1, or with `kind`, every
    /// request's Message-ID (`<id.kind@vidpipe>`) mapped to 1.
    static func once(_ ids: [String], kind: String? = nil) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: ids.map { id in (kind.map { "<\(id).\($0)@vidpipe>" } ?? id, 1) })
    }

    func remove() { lake.remove() }
}

/// Expects `mails` to hold exactly `expected` deliveries per Message-ID, and shows what
/// arrived when they do not.
func expectDelivered(_ mails: [Maildir.Mail], _ expected: [String: Int], sourceLocation: SourceLocation = #_sourceLocation) {
    let delivered = mails.deliveriesPerMessageID
    #expect(delivered == expected, sourceLocation: sourceLocation)
}
