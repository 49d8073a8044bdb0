import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// The daemon is given an SMTP password, a PostgreSQL password, a Kafka SASL password, a
/// webhook secret and a token in a webhook URL's query, logs at debug level, and does real
/// work (a good job, a rejected one, mail over SMTP with AUTH, signed webhooks) or fails to log in to the broker; none of the secrets appears in its log file
/// (`logs/vidpipe.log`), its stderr, its stdout or the job logs.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && PostgresTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA or VIDPIPE_TEST_PG_URI is not set (scripts/services/kafka start, scripts/services/postgres start)"))
struct SecretsInLogsTests {
    static let postgresPassword = "PgS3cret-\(UUID().uuidString.prefix(8))"
    static let kafkaPassword = "KafkaS3cret-\(UUID().uuidString.prefix(8))"
    /// The scratch SMTP server's one account.
    static let smtpPassword = ScratchSMTPServer.password
    static let webhookSecret = "WhS3cret-\(UUID().uuidString.prefix(8))"
    static let webhookURLToken = "UrlT0ken-\(UUID().uuidString.prefix(8))"

    @Test func aWorkingDaemonLogsNoSecret() async throws {
        let postgres = try TestDatabase.create()
        let smtp = try ScratchSMTPServer(requireAuth: true)
        defer { smtp.stop() }
        let scratch = try ScratchDirectory(prefix: "vidpipe-secrets")
        defer { scratch.remove() }
        let receiver = try WebhookReceiver(secret: Self.webhookSecret, logPath: scratch.path("hooks.jsonl"))
        var uri = try #require(URLComponents(string: postgres.uri))
        uri.password = Self.postgresPassword  // the test server trusts local connections: any password logs in
        let lake = try TestLake(environment: [
            "PG_CONN_URI": try #require(uri.string), "VIDPIPE_LOG_LEVEL": "debug", "VIDPIPE_INBOX_POLL_SECONDS": "0.2",
            "SMTP_SERVER": "127.0.0.1", "SMTP_PORT": String(smtp.port), "SMTP_SECURITY": "none",
            "SMTP_USER": ScratchSMTPServer.user, "SMTP_PASSWORD": Self.smtpPassword, "EMAIL_RECEIVER": "team@example.com",
            "KAFKA_SASL_USERNAME": "vidpipe", "KAFKA_SASL_PASSWORD": Self.kafkaPassword, "VIDPIPE_MISSING_SIDECAR": "ignore",
            "VIDPIPE_WEBHOOK_URLS": receiver.url + "?token=" + Self.webhookURLToken, "VIDPIPE_WEBHOOK_SECRET": Self.webhookSecret,
        ])
        defer { lake.remove() }
        let good = lake.incoming + "/good.mp4"
        try Clip.good(good)
        try FileManager.default.createDirectory(atPath: lake.inbox, withIntermediateDirectories: true)
        for (id, path) in [("good", good), ("missing", lake.incoming + "/missing.mp4")] {
            let request = #"{"schema_version": 1, "request_id": "\#(id)", "path": "\#(path)", "submitted_at": "2026-01-01T00:00:00Z"}"#
            try Data(request.utf8).write(to: URL(fileURLWithPath: "\(lake.inbox)/\(id).json"))
        }
        let daemon = try DaemonProcess(lake)
        // Both mails delivered through AUTH: the password was used, not just configured.
        #expect(try await eventually(within: 60) { try smtp.messageIDs().count == 2 }, "\(daemon.log.suffix(3000))")
        // Both webhooks signed with the secret and accepted by the receiver's check.
        #expect(try await eventually(within: 30) { try receiver.accepted().count == 2 }, "\((try? receiver.requests()) ?? [])")
        #expect(try await daemon.stop(within: 20) == 0)
        try Self.expectNoSecret(in: daemon, lake: lake)
    }

    @Test func aFailedBrokerLoginLogsNoSecret() async throws {
        let service = try ServiceLake(environment: [
            "VIDPIPE_LOG_LEVEL": "debug", "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISMS": "PLAIN",
            "KAFKA_SASL_USERNAME": "vidpipe", "KAFKA_SASL_PASSWORD": Self.kafkaPassword,
            "SMTP_USER": "vidpipe", "SMTP_PASSWORD": Self.smtpPassword,
        ])
        defer { service.remove() }
        let daemon = try DaemonProcess(service)
        // The test broker refuses the SASL handshake: the client's login fails, and librdkafka's
        // error lines (the password's likeliest way into a log) reach the daemon's log.
        let failed = try await eventually(within: 30) { try daemon.count("_AUTHENTICATION") > 0 }
        #expect(failed, "\(daemon.log.suffix(3000))")
        // The login can fail before the service group handles SIGTERM.
        #expect(try await daemon.waitUntilConsuming())
        #expect(try await daemon.stop(within: 20) == 0, "\(daemon.log.suffix(3000))")
        try Self.expectNoSecret(in: daemon, lake: service.lake)
    }

    /// Every log the daemon wrote, read in full, holds none of the secrets.
    private static func expectNoSecret(in daemon: DaemonProcess, lake: TestLake) throws {
        let logFile = lake.root + "/logs/vidpipe.log"
        var texts = ["log file": try String(contentsOfFile: logFile, encoding: .utf8),
                     "stderr": try daemon.readLog(), "stdout": try daemon.readStdout()]
        for log in try lake.jobLogs() {
            texts["job log of \(log.request)"] = String(decoding: try JSONEncoder().encode(log.entries), as: UTF8.self)
        }
        #expect(!(texts["log file"] ?? "").isEmpty, "the daemon wrote its log file")
        for (name, text) in texts {
            for secret in [postgresPassword, kafkaPassword, smtpPassword, webhookSecret, webhookURLToken] {
                let leaked = text.split(separator: "\n").filter { $0.contains(secret) }
                #expect(leaked.isEmpty, "\(name) holds the secret \(secret): \(leaked.prefix(3))")
            }
        }
    }
}
