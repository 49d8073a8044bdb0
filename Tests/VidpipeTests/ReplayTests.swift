import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// A request id that is already in the catalog is answered from it: no second job, no
/// second decode, no second mail; through Kafka it still gets its event.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && SMTPTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA or VIDPIPE_TEST_SMTP is not set (scripts/services/kafka start, scripts/services/smtp start)"))
struct ReplayTests {
    @Test func replayedKafkaRequestIsAnsweredFromTheCatalog() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let request = ServiceLake.request(id: "replayed", path: try service.clip("once.mp4"))
        try service.oracle.produce(service.requests, key: "replayed", value: request)
        let daemon = try DaemonProcess(service)
        _ = try await service.oracle.waitForMessages(service.processed, count: 1, within: 60)
        #expect(try await eventually(within: 20) { try service.mails(kind: "ready").count >= 1 }, "\(daemon.log.suffix(3000))")

        // The same request again, as a producer that retried after a lost acknowledgement sends it.
        try service.oracle.produce(service.requests, key: "replayed", value: request)
        _ = try await service.oracle.waitForMessages(service.processed, count: 2, within: 60)
        #expect(try await daemon.stop(within: 20) == 0)

        let events = try service.oracle.readAll(service.processed)
        #expect(events.compactMap(\.key) == ["replayed", "replayed"], "\(daemon.log.suffix(3000))")
        #expect(events.compactMap { $0.json["job_id"]?.text }.count == 2)
        #expect(Set(events.compactMap { $0.json["job_id"]?.text }).count == 1, "the answer names the recorded job")
        #expect(try daemon.count("request already recorded; not running it again") == 1)
        #expect(try service.lake.jobsStarted() == ["replayed": 1], "no second job")
        #expect(try service.decodes() == ["replayed": 1], "no second decode")
        let runs = try service.rows("""
            SELECT t.state FROM task_runs t JOIN jobs j ON j.id = t.job_id WHERE j.request_id = 'replayed' AND t.task = 'silver.media'
            """)
        #expect(runs.compactMap { $0["state"]?.text } == ["succeeded"])
        expectDelivered(try service.mails(kind: "ready"), ["<replayed.ready@vidpipe>": 1])
        // Both offsets committed: the replay is done, not pending.
        #expect(try service.oracle.consume(service.requests, group: service.group, max: 1, timeout: 8).isEmpty)
    }

    @Test func replayedInboxRequestIsFiledWithoutRunning() async throws {
        let recipient = SMTPTestServer.uniqueRecipient("inbox")
        let lake = try TestLake(environment: try SMTPTestServer.mailEnvironment(to: recipient).merging([
            "VIDPIPE_INBOX_POLL_SECONDS": "0.2", "VIDPIPE_MISSING_SIDECAR": "ignore",
        ]) { _, new in new })
        defer { lake.remove() }
        let clip = lake.incoming + "/once.mp4"
        try Clip.good(clip)
        try FileManager.default.createDirectory(atPath: lake.inbox, withIntermediateDirectories: true)
        let request = #"{"schema_version": 1, "request_id": "again", "path": "\#(clip)", "submitted_at": "2026-01-01T00:00:00Z"}"#
        try Data(request.utf8).write(to: URL(fileURLWithPath: lake.inbox + "/first.json"))
        let daemon = try DaemonProcess(lake)
        let done = lake.inbox + "/done"
        #expect(try await eventually(within: 60) { try lake.requests(in: done) == ["first.json"] }, "\(daemon.log.suffix(3000))")

        try Data(request.utf8).write(to: URL(fileURLWithPath: lake.inbox + "/second.json"))
        #expect(try await eventually(within: 30) { try lake.requests(in: done).sorted() == ["first.json", "second.json"] })
        #expect(try await eventually(within: 20) { try Maildir.shared().mails(to: recipient).count >= 1 })
        #expect(try await daemon.stop(within: 20) == 0)

        #expect(try lake.jobsStarted() == ["again": 1], "no second job")
        #expect(try lake.taskStarts("silver.media") == ["again": 1], "no second decode")
        #expect(try lake.query("SELECT request_id FROM jobs").compactMap { $0["request_id"]?.text } == ["again"])
        expectDelivered(try Maildir.shared().mails(to: recipient), ["<again.ready@vidpipe>": 1])
    }
}
