import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// `vidpipe run` in Kafka mode against the real tansu broker, with scripts/kafka_client.py
/// (confluent-kafka) as the independent producer and reader, the `sqlite3` CLI on the
/// catalog, and the real SMTP server (aiosmtpd) as the mailbox.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && SMTPTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA or VIDPIPE_TEST_SMTP is not set (scripts/services/kafka start, scripts/services/smtp start)"))
struct ServiceModeTests {
    /// (a) Valid requests, malformed JSON, a missing file and a corrupt video: one event,
    /// one decode and one mail for each, counted where a duplicate would show.
    @Test func endToEnd() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let ids = ["ok-1", "ok-2", "ok-3"]
        for id in ids {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")))
        }
        try service.oracle.produce(service.requests, key: "garbage", value: "{not json")
        try service.oracle.produce(service.requests, key: "missing", value: ServiceLake.request(id: "missing", path: service.lake.incoming + "/nowhere.mp4"))
        let corrupt = service.lake.incoming + "/corrupt.mp4"
        try Clip.noise(corrupt, count: 64 * 1024)
        try service.oracle.produce(service.requests, key: "corrupt", value: ServiceLake.request(id: "corrupt", path: corrupt))

        let daemon = try DaemonProcess(service)
        _ = try await service.oracle.waitForMessages(service.processed, count: ids.count, within: 60)
        _ = try await service.oracle.waitForMessages(service.deadLetter, count: 3, within: 30)
        let mailed = try await eventually(within: 20) {
            try service.mails(kind: "ready").count >= ids.count && service.mails(kind: "rejected").count >= 2
        }
        #expect(mailed, "\(daemon.log.suffix(3000))")
        #expect(try await daemon.stop(within: 20) == 0)

        // Read after the stop, whole: a repeated event would be here.
        let processed = try service.oracle.readAll(service.processed)
        #expect(processed.compactMap(\.key).sorted() == ids, "\(daemon.log)")
        #expect(processed.allSatisfy { $0.json["state"]?.text == "succeeded" && $0.json["schema_version"]?.number == 1 })
        let letters = try service.oracle.readAll(service.deadLetter)
        #expect(letters.compactMap(\.key).sorted() == ["corrupt", "garbage", "missing"], "\(letters.map(\.value))")
        let codes = Dictionary(letters.map { ($0.key ?? "", $0.json["error_code"]?.text ?? "") }) { first, _ in first }
        #expect(codes == ["garbage": "invalid_request", "missing": "file_not_found", "corrupt": "unrecognized_format"], "\(letters.map(\.value))")
        #expect(letters.allSatisfy { !($0.json["reason"]?.text ?? "").isEmpty && $0.json["original_topic"]?.text == service.requests })
        #expect(letters.first { $0.key == "garbage" }?.json["payload"]?.text == "{not json")
        // Events and dead letters are as docs/schemas documents them.
        for event in processed {
            #expect(try JSONSchemaOracle.violations(of: Data(event.value.utf8), schema: "processed-event") == [], "\(event.value)")
        }
        for letter in letters {
            #expect(try JSONSchemaOracle.violations(of: Data(letter.value.utf8), schema: "dead-letter") == [], "\(letter.value)")
        }

        expectDelivered(try service.mails(kind: "ready"), ServiceLake.once(ids, kind: "ready"))
        expectDelivered(try service.mails(kind: "rejected"), ServiceLake.once(["corrupt", "missing"], kind: "rejected"))
        #expect(try service.decodes() == ServiceLake.once(ids))
        #expect(try service.rows("SELECT id FROM videos").count == ids.count)
        #expect(try service.rows("SELECT request_id FROM jobs WHERE state = 'succeeded' ORDER BY request_id").compactMap { $0["request_id"]?.text } == ids)
        #expect(try service.rows("SELECT id FROM notifications WHERE state != 'sent'").isEmpty)
        // Every offset was committed: the daemon's group has nothing left to read.
        #expect(try service.oracle.consume(service.requests, group: service.group, max: 1, timeout: 8).isEmpty)
    }

    /// `vidpipe produce` in Kafka mode, and the watcher's deleted event: a `deleted` mail
    /// and a processed event, no media work.
    @Test func produceAndDeletedEvents() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let clip = try service.clip("produced.mp4")
        let produced = try service.lake.vidpipe(["produce", "--title", "Produced", clip])
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.text.contains("\(service.requests)[0]@0"), "\(produced.text)")
        try service.oracle.produce(service.requests, key: "gone", value: ServiceLake.request(id: "gone", path: service.lake.incoming + "/gone.mp4", event: "deleted"))
        let daemon = try DaemonProcess(service)
        _ = try await service.oracle.waitForMessages(service.processed, count: 2, within: 40)
        #expect(try await eventually(within: 20) { try service.mails(kind: "deleted").count >= 1 && service.mails(kind: "ready").count >= 1 })
        #expect(try await daemon.stop(within: 20) == 0)
        let processed = try service.oracle.readAll(service.processed)
        #expect(processed.count == 2, "\(daemon.log)")
        #expect(processed.first { $0.key == "gone" }?.json["state"]?.text == "succeeded")
        expectDelivered(try service.mails(kind: "deleted"), ServiceLake.once(["gone"], kind: "deleted"))
        #expect(try service.mails(kind: "ready").count == 1)
        #expect(try service.decodes().keys.contains("gone") == false, "a deletion touches no media")
        #expect(try service.rows("SELECT id FROM videos").count == 1)
    }
}

/// The daemon on all three real services: Kafka, PostgreSQL and SMTP (aiosmtpd).
@Suite(.enabled(if: KafkaTestBroker.isEnabled && PostgresTestServer.shouldRun && SMTPTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA, VIDPIPE_TEST_PG_URI or VIDPIPE_TEST_SMTP is not set"))
struct ServiceModeWithPostgresTests {
    /// (c) SMTP is down while jobs finish; once it is up every mail arrives, once. The
    /// catalog is PostgreSQL.
    @Test func mailWaitsOutAnSMTPOutage() async throws {
        let postgres = try TestDatabase.create()
        var service = try ServiceLake()
        defer { service.remove() }
        let smtp = try ScratchSMTPServer(folder: service.lake.scratch.path("smtp"), started: false)
        defer { smtp.stop() }
        service.lake.environment.merge([
            "PG_CONN_URI": postgres.uri, "SMTP_SERVER": "127.0.0.1", "SMTP_PORT": "\(smtp.port)",
            "SMTP_SECURITY": "none", "VIDPIPE_MISSING_SIDECAR": "ignore",
        ]) { _, new in new }
        let ids = ["smtp-1", "smtp-2", "smtp-3"]
        for id in ids {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")))
        }
        let daemon = try DaemonProcess(service)
        // Recorded, and the mail failed at least once: SMTP is not there yet.
        let waiting = try await eventually(within: 60) {
            try postgres.rows("SELECT id FROM notifications WHERE state = 'pending' AND attempts > 0").count == ids.count
        }
        #expect(waiting, "\(daemon.log.suffix(3000))")
        #expect(try postgres.psql("SELECT request_id FROM jobs WHERE state = 'succeeded'").count == ids.count)
        try smtp.start()
        // The first retry comes 5 s after the failure.
        let arrived = try await eventually(within: 40) { try smtp.messageIDs().count >= ids.count }
        #expect(arrived, "\(daemon.log.suffix(3000))")
        #expect(try await daemon.stop(within: 20) == 0)
        expectDelivered(try Maildir(smtp.maildir).all(), ServiceLake.once(ids, kind: "ready"))
        #expect(try postgres.psql("SELECT id FROM notifications WHERE state = 'sent'").count == ids.count)
        #expect(try await service.oracle.waitForMessages(service.processed, count: ids.count, within: 10).count == ids.count)
    }
}
