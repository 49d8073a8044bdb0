import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Webhooks from `vidpipe run` in service mode: Kafka intake, the PostgreSQL catalog, and
/// a receiver that answers 503 to the first attempt of each event.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && PostgresTestServer.shouldRun && SMTPTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA, VIDPIPE_TEST_PG_URI or VIDPIPE_TEST_SMTP is not set"))
struct WebhookServiceModeTests {
    @Test func everyRequestIsToldOnceWithItsEventIDThroughThePostgresOutbox() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let receiver = try WebhookReceiver(secret: WebhookTests.secret, logPath: scratch.path("service.jsonl"),
                                           options: ["--fail-first", "2", "--fail-status", "503"])
        let postgres = try TestDatabase.create()
        defer { try? postgres.drop() }
        var service = try ServiceLake(environment: [
            "VIDPIPE_WEBHOOK_URLS": receiver.url, "VIDPIPE_WEBHOOK_SECRET": WebhookTests.secret,
            "VIDPIPE_WEBHOOK_BACKOFF_SECONDS": "0.2", "VIDPIPE_RENDITIONS": "none", "VIDPIPE_MISSING_SIDECAR": "ignore",
        ])
        defer { service.remove() }
        service.lake.environment["PG_CONN_URI"] = postgres.uri
        let ids = ["hook-1", "hook-2"]
        for id in ids {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")))
        }
        let daemon = try DaemonProcess(service)
        let delivered = try await eventually(within: 90) {
            // No table until the daemon has migrated the new database.
            (try? postgres.psql("SELECT state FROM webhook_deliveries")) == ["delivered", "delivered"]
        }
        #expect(delivered, "\(daemon.log.suffix(3000))")
        #expect(try await daemon.stop(within: 30) == 0)

        let accepted = try receiver.accepted()
        let bodies = try accepted.map { try JSONDecoder().decode([String: JSONValue].self, from: Data($0.body.utf8)) }
        #expect(bodies.compactMap { $0["request_id"]?.text }.sorted() == ids, "each request told once")
        #expect(Set(try receiver.requests().compactMap(\.eventID)) == Set(try postgres.psql("SELECT event_id FROM webhook_deliveries")))
        #expect(try receiver.requests().allSatisfy { $0.refusal == nil })
        #expect(try postgres.psql("SELECT status FROM webhook_attempts ORDER BY attempted_at").filter { $0 == "503" }.count == 2)
        // The webhook and the Kafka event tell the same job with the same keys.
        let events = try service.oracle.readAll(service.processed)
        for body in bodies {
            let event = try #require(events.first { $0.key == body["request_id"]?.text })
            #expect(Set(body.keys).subtracting(["event_id", "event", "occurred_at"]) == Set(event.json.keys), "\(body)\n\(event.value)")
            #expect(body["job_id"] == event.json["job_id"])
        }
    }
}
