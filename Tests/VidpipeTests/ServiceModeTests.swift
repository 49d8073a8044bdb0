import Foundation
import Kafka
import Ingest
import Testing
import VidpipeTestSupport

/// `vidpipe run` in Kafka mode against the real tansu broker, with scripts/kafka_client.py
/// (confluent-kafka) as the independent producer and reader, the `sqlite3` CLI on the
/// catalog, and the notifier's outbox as the mailbox.
@Suite(.enabled(if: KafkaTestBroker.isEnabled, "VIDPIPE_TEST_KAFKA is not set (scripts/services/kafka start)"))
struct ServiceModeTests {
    /// (a) Valid requests, malformed JSON, a missing file and a corrupt video.
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
        let processed = try service.oracle.waitForMessages(service.processed, count: ids.count, within: 60)
        #expect(Set(processed.compactMap(\.key)) == Set(ids), "\(daemon.log)")
        #expect(processed.allSatisfy { $0.json["state"]?.text == "succeeded" && $0.json["schema_version"]?.number == 1 })
        let letters = try service.oracle.waitForMessages(service.deadLetter, count: 3, within: 30)
        let codes = Dictionary(letters.map { ($0.key ?? "", $0.json["error_code"]?.text ?? "") }) { first, _ in first }
        #expect(codes == ["garbage": "invalid_request", "missing": "file_not_found", "corrupt": "unrecognized_format"], "\(letters.map(\.value))")
        #expect(letters.allSatisfy { !($0.json["reason"]?.text ?? "").isEmpty && $0.json["original_topic"]?.text == service.requests })
        #expect(letters.first { $0.key == "garbage" }?.json["payload"]?.text == "{not json")

        #expect(try await eventually(within: 20) { service.mails(kind: "ready").count == ids.count })
        #expect(service.rows("SELECT id FROM videos").count == ids.count)
        #expect(service.rows("SELECT request_id FROM jobs WHERE state = 'succeeded'").count == ids.count)
        #expect(service.rows("SELECT id FROM notifications WHERE state != 'sent'").isEmpty)
        #expect(try await daemon.stop(within: 20) == 0)
        // Every offset was committed: the daemon's group has nothing left to read.
        #expect(try service.oracle.consume(service.requests, group: service.group, max: 1, timeout: 8).isEmpty)
    }

    /// Each unusable message goes to the dead-letter topic with its reason; the daemon carries on.
    @Test func badMessagesAreDeadLettered() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let inside = service.lake.incoming
        let cases: [(key: String, value: String, reason: String)] = [
            ("not-json", "hello", "not valid JSON"),
            ("wrong-type", "[1, 2, 3]", "must be a JSON object"),
            ("missing-fields", #"{"schema_version": 1, "request_id": "x"}"#, "missing field"),
            ("future-schema", #"{"schema_version": 7, "request_id": "f", "path": "/x.mp4", "submitted_at": "2026-01-01T00:00:00Z"}"#, "unknown schema_version 7"),
            ("traversal", ServiceLake.request(id: "traversal", path: inside + "/../../etc/passwd.mp4"), "path_traversal"),
        ]
        for item in cases { try service.oracle.produce(service.requests, key: item.key, value: item.value) }
        let binary = service.lake.scratch.path("binary.bin")
        try Data([0x7B, 0xFF, 0xFE, 0x00, 0x7D]).write(to: URL(fileURLWithPath: binary))
        try service.oracle.produce(service.requests, key: "non-utf8", file: binary)
        // Over the 1 MiB request limit: sent with our producer, allowed larger messages.
        let producer = try KafkaProducer(configuration: KafkaConfiguration(
            bootstrapServers: [try KafkaTestBroker.servers()], extraProperties: ["message.max.bytes": "4000000"]))
        _ = try await producer.send(topic: service.requests, key: "huge", value: [UInt8](repeating: 0x20, count: (1 << 20) + 10))
        await producer.close()
        let valid = try service.clip("after.mp4")
        try service.oracle.produce(service.requests, key: "after", value: ServiceLake.request(id: "after", path: valid))

        let daemon = try DaemonProcess(service)
        let letters = try service.oracle.waitForMessages(service.deadLetter, count: cases.count + 2, within: 60)
        let reasons = Dictionary(letters.map { ($0.key ?? "", $0.json["reason"]?.text ?? "") }) { first, _ in first }
        for item in cases {
            #expect(reasons[item.key]?.contains(item.reason) == true || (item.key == "traversal" && letters.contains { $0.key == "traversal" && $0.json["error_code"]?.text == "path_traversal" }),
                    "\(item.key): \(reasons[item.key] ?? "no dead letter")")
        }
        #expect(reasons["non-utf8"]?.contains("not UTF-8") == true, "\(reasons)")
        #expect(letters.first { $0.key == "non-utf8" }?.json["payload_base64"]?.text == "e//+AH0=")
        #expect(reasons["huge"]?.contains("the limit is") == true, "\(reasons)")
        #expect(letters.first { $0.key == "huge" }?.json["payload_truncated"] == .bool(true))
        // Still running: the valid request after them is processed.
        let processed = try service.oracle.waitForMessages(service.processed, count: 1, within: 30)
        #expect(processed.first?.key == "after", "\(daemon.log)")
        #expect(try await daemon.stop(within: 20) == 0)
    }

    /// (b) kill -9 mid-job, then restart: each request done once in the catalog and the mailbox.
    @Test func crashAndRestartDoesEveryRequestOnce() async throws {
        let service = try ServiceLake(environment: ["VIDPIPE_JOB_CONCURRENCY": "1"])
        defer { service.remove() }
        let ids = (1...6).map { "crash-\($0)" }
        for id in ids {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")))
        }
        let first = try DaemonProcess(service, name: "first")
        #expect(try await eventually(within: 30) { first.count("job started") >= 2 })
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()

        let second = try DaemonProcess(service, name: "second")
        #expect(try await second.waitUntilConsuming())
        let done = try await eventually(within: 60) {
            service.rows("SELECT request_id FROM jobs").count >= ids.count && service.mails(kind: "ready").count >= ids.count
        }
        #expect(done, "\(second.log)")
        #expect(try await second.stop(within: 20) == 0, "\(second.log.suffix(4000))")
        let perRequest = service.rows("SELECT request_id, COUNT(*) AS n FROM jobs GROUP BY request_id")
        #expect(perRequest.count == ids.count && perRequest.allSatisfy { $0["n"]?.number == 1 }, "\(perRequest)")
        #expect(service.mails(kind: "ready").count == ids.count)
        #expect(service.rows("SELECT id FROM notifications WHERE kind = 'ready'").count == ids.count)
        #expect(service.rows("SELECT id FROM videos").count == ids.count)
    }

    /// (g) SIGTERM while jobs run: exit 0 within the deadline; what finished is committed,
    /// and a restart does the rest, once.
    @Test func sigtermDuringAJobExitsCleanly() async throws {
        let service = try ServiceLake(environment: ["VIDPIPE_SHUTDOWN_GRACE_SECONDS": "20"])
        defer { service.remove() }
        let ids = (1...4).map { "term-\($0)" }
        for id in ids {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")))
        }
        let daemon = try DaemonProcess(service)
        #expect(try await eventually(within: 30) { daemon.count("job started") >= 1 })
        let stopped = Date()
        #expect(try await daemon.stop(within: 20) == 0, "\(daemon.log)")
        #expect(Date().timeIntervalSince(stopped) < 20)
        let finished = daemon.count("job finished")
        #expect(finished >= 1)
        #expect(service.rows("SELECT id FROM jobs").count == finished)
        // Every job that finished was published and its mail sent in the last notifier pass.
        #expect(try service.oracle.waitForMessages(service.processed, count: finished, within: 10).count >= finished)
        #expect(service.mails(kind: "ready").count == finished)

        let again = try DaemonProcess(service, name: "again")
        #expect(try await again.waitUntilConsuming())
        #expect(try await eventually(within: 60) { service.rows("SELECT id FROM jobs").count == ids.count })
        #expect(try await again.stop(within: 20) == 0, "\(again.log.suffix(4000))")
        #expect(service.rows("SELECT DISTINCT request_id FROM jobs").count == ids.count)
        #expect(service.mails(kind: "ready").count == ids.count)
    }

    /// (g) with a job longer than the shutdown deadline: the job is cut short, exit is still
    /// 0, and the interrupted job is neither recorded nor mailed as a failure; the next
    /// start redoes it once.
    @Test func jobCutShortByTheShutdownDeadlineIsRedoneNotFailed() async throws {
        let service = try ServiceLake(environment: ["VIDPIPE_SHUTDOWN_GRACE_SECONDS": "1"])
        defer { service.remove() }
        // Four renditions of 1080p for 20 s: many seconds of work, far past the deadline.
        let path = try service.clip("long.mp4", size: "1920x1080", seconds: 20)
        try service.oracle.produce(service.requests, key: "long", value: ServiceLake.request(id: "long", path: path))
        let daemon = try DaemonProcess(service)
        #expect(try await eventually(within: 30) { daemon.count("job started") >= 1 })
        try await Task.sleep(for: .seconds(1))
        #expect(try await daemon.stop(within: 30) == 0, "\(daemon.log.suffix(4000))")
        #expect(daemon.count("job interrupted by the shutdown") == 1, "\(daemon.log.suffix(4000))")
        #expect(daemon.count("job finished") == 0)
        #expect(service.rows("SELECT id FROM jobs").isEmpty)
        #expect(service.rows("SELECT id FROM notifications").isEmpty)
        #expect(service.mails(kind: "ready").isEmpty && service.mails(kind: "rejected").isEmpty)

        let again = try DaemonProcess(service, name: "again", environment: ["VIDPIPE_SHUTDOWN_GRACE_SECONDS": "120"])
        #expect(try await eventually(within: 180) { service.rows("SELECT id FROM jobs").count == 1 })
        #expect(try await again.stop(within: 30) == 0, "\(again.log.suffix(4000))")
        let jobs = service.rows("SELECT state FROM jobs WHERE request_id = 'long'")
        #expect(jobs.count == 1 && jobs.first?["state"] == .string("succeeded"), "\(jobs)")
        #expect(service.mails(kind: "ready").count == 1)
        #expect(try service.oracle.waitForMessages(service.processed, count: 1, within: 10).count == 1)
    }

    /// (f) Two daemons in one group on a 4-partition topic: both work, nothing is done twice.
    @Test func twoDaemonsSplitTheWork() async throws {
        let service = try ServiceLake(partitions: 4)
        defer { service.remove() }
        let one = try DaemonProcess(service, name: "one")
        let two = try DaemonProcess(service, name: "two")
        // Both hold partitions before the work arrives: the second's assignment comes from
        // the rebalance that split the topic between them (tansu holds each join ~3 s).
        let bothAssigned = try await eventually(within: 60) {
            one.count("assigned [\(service.requests)") > 0 && two.count("assigned [\(service.requests)") > 0
        }
        #expect(bothAssigned, "\(one.log.suffix(2000))\n\(two.log.suffix(2000))")
        try await Task.sleep(for: .seconds(2))
        let ids = (1...8).map { "split-\($0)" }
        for (index, id) in ids.enumerated() {
            try service.oracle.run(["produce", service.requests, "--key", id, "--value",
                                    ServiceLake.request(id: id, path: try service.clip("\(id).mp4")), "--partition", String(index % 4)])
        }
        let done = try await eventually(within: 60) { service.rows("SELECT id FROM jobs").count >= ids.count }
        #expect(done, "\(one.log)\n\(two.log)")
        #expect(try await eventually(within: 20) { service.mails(kind: "ready").count == ids.count })
        #expect(try await one.stop(within: 20) == 0)
        #expect(try await two.stop(within: 20) == 0)
        #expect(service.rows("SELECT DISTINCT request_id FROM jobs").count == ids.count)
        #expect(service.rows("SELECT id FROM jobs").count == ids.count)
        #expect(one.count("job started") > 0 && two.count("job started") > 0,
                "one ran \(one.count("job started")), two ran \(two.count("job started"))")
        #expect(one.count("job started") + two.count("job started") == ids.count)
    }

    /// (e) The broker is killed and restarted (its log kept, as Kafka keeps it); the daemon
    /// reconnects, rejoins its group and processes what is produced afterwards, once.
    @Test func consumerContinuesAfterABrokerRestart() async throws {
        let broker = try PrivateKafkaBroker()
        let service = try ServiceLake(bootstrap: broker.bootstrap, clientProperties: ["reconnect.backoff.max.ms": "1000"])
        defer { service.remove() }
        try service.oracle.produce(service.requests, key: "before", value: ServiceLake.request(id: "before", path: try service.clip("before.mp4")))
        let daemon = try DaemonProcess(service)
        #expect(try service.oracle.waitForMessages(service.processed, count: 1, within: 40).count == 1, "\(daemon.log)")

        broker.stop()
        try await Task.sleep(for: .seconds(2))
        try broker.start()
        try service.oracle.produce(service.requests, key: "after", value: ServiceLake.request(id: "after", path: try service.clip("after.mp4")))
        let processed = try service.oracle.waitForMessages(service.processed, count: 2, within: 60)
        #expect(processed.compactMap(\.key) == ["before", "after"], "\(daemon.log.suffix(4000))")
        #expect(service.rows("SELECT request_id FROM jobs").count == 2)
        #expect(try await daemon.stop(within: 20) == 0, "\(daemon.log.suffix(4000))")
        // Both offsets were committed before the daemon left.
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
        let processed = try service.oracle.waitForMessages(service.processed, count: 2, within: 40)
        #expect(processed.count == 2, "\(daemon.log)")
        #expect(processed.first { $0.key == "gone" }?.json["state"]?.text == "succeeded")
        #expect(try await eventually(within: 20) { service.mails(kind: "deleted").count == 1 && service.mails(kind: "ready").count == 1 })
        #expect(service.rows("SELECT id FROM videos").count == 1)
        #expect(try await daemon.stop(within: 20) == 0)
    }
}

/// The daemon on all three real services: Kafka, PostgreSQL and SMTP (aiosmtpd).
@Suite(.enabled(if: KafkaTestBroker.isEnabled && PostgresTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA or VIDPIPE_TEST_PG_URI is not set"))
struct ServiceModeWithPostgresTests {
    /// (d) PostgreSQL restarts while jobs run: the interrupted ones retry, none is lost or
    /// recorded twice, and every mail goes out once.
    @Test func jobsSurviveAPostgreSQLRestart() async throws {
        let postgres = try TestDatabase.create()
        var service = try ServiceLake(environment: ["VIDPIPE_JOB_CONCURRENCY": "1"])
        defer { service.remove() }
        service.lake.environment["PG_CONN_URI"] = postgres.uri
        let ids = (1...8).map { "pg-\($0)" }
        for id in ids {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")))
        }
        let daemon = try DaemonProcess(service)
        let started = try await eventually(within: 60) { postgres.rows("SELECT id FROM jobs").count >= 2 }
        #expect(started, "\(daemon.log.suffix(3000))")
        try PostgresTestServer.service("restart")
        let recordedAfterRestart = postgres.rows("SELECT id FROM jobs").count
        #expect(recordedAfterRestart < ids.count, "the restart came after all the work")

        let done = try await eventually(within: 120) {
            postgres.rows("SELECT id FROM jobs").count >= ids.count
                && postgres.rows("SELECT id FROM notifications WHERE kind = 'ready' AND state = 'sent'").count >= ids.count
                && postgres.rows("SELECT id FROM notifications WHERE state != 'sent'").isEmpty
        }
        #expect(done, "\(daemon.log.suffix(4000))")
        let processed = try service.oracle.waitForMessages(service.processed, count: ids.count, within: 30)
        #expect(try await daemon.stop(within: 20) == 0, "\(daemon.log.suffix(3000))")
        #expect(Set(processed.compactMap(\.key)) == Set(ids))
        #expect(postgres.rows("SELECT request_id FROM jobs WHERE state = 'succeeded' ORDER BY request_id") == ids.sorted())
        #expect(postgres.rows("SELECT count(*) FROM videos") == ["\(ids.count)"])
        #expect(postgres.rows("SELECT count(*) FROM notifications WHERE kind = 'ready' AND state = 'sent'") == ["\(ids.count)"])
        #expect(postgres.rows("SELECT id FROM notifications WHERE state != 'sent'").isEmpty)
        #expect(service.mails(kind: "ready").count == ids.count)
    }

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
            postgres.rows("SELECT id FROM notifications WHERE state = 'pending' AND attempts > 0").count == ids.count
        }
        #expect(waiting, "\(daemon.log.suffix(3000))")
        #expect(postgres.rows("SELECT request_id FROM jobs WHERE state = 'succeeded'").count == ids.count)
        try smtp.start()
        // The first retry comes 5 s after the failure.
        let arrived = try await eventually(within: 40) { smtp.messageIDs.count >= ids.count }
        #expect(arrived, "\(daemon.log.suffix(3000))")
        #expect(try await daemon.stop(within: 20) == 0)
        #expect(Set(smtp.messageIDs) == Set(ids.map { "<\($0).ready@vidpipe>" }))
        #expect(smtp.messageIDs.count == ids.count)
        #expect(postgres.rows("SELECT id FROM notifications WHERE state = 'sent'").count == ids.count)
        #expect(try service.oracle.waitForMessages(service.processed, count: ids.count, within: 10).count == ids.count)
    }
}
