import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// PostgreSQL restarts (`pg_ctl restart -m fast`) while gold transactions are in flight:
/// the restart interrupts real writes, they are retried and land once, no job decodes
/// twice, every offset is committed, and each request has one event and one mail.
@Suite(.serialized, .enabled(if: KafkaTestBroker.isEnabled && PostgresTestServer.shouldRun && SMTPTestServer.shouldRun,
                             "VIDPIPE_TEST_KAFKA, VIDPIPE_TEST_PG_URI or VIDPIPE_TEST_SMTP is not set"))
struct PostgresRestartTests {
    @Test func aRestartDuringGoldCommitsIsRetriedWithoutDecodingTwice() async throws {
        let postgres = try TestDatabase.create()
        defer { try? postgres.drop() }
        // A deadline longer than the test's waits: only the restart may end a call.
        var service = try ServiceLake(environment: ["VIDPIPE_JOB_CONCURRENCY": "4", "VIDPIPE_PG_CALL_DEADLINE_SECONDS": "60"])
        defer { service.remove() }
        service.lake.environment["PG_CONN_URI"] = postgres.uri
        let ids = (1...8).map { "restart-\($0)" }
        let clips = try ids.map { try service.clip("\($0).mp4") }
        let daemon = try DaemonProcess(service)
        try #require(try await daemon.waitUntilConsuming(), "\(daemon.log.suffix(3000))")

        // Another session holds the jobs table, so gold's transactions are provably in
        // flight (waiting inside them to insert their job) when the server restarts.
        let blocker = try postgres.psqlInBackground("BEGIN; LOCK TABLE jobs IN EXCLUSIVE MODE; SELECT pg_sleep(300)")
        defer { if blocker.isRunning { blocker.terminate() } }
        try #require(try await eventually(within: 20) {
            try postgres.psql("SELECT count(*) FROM pg_locks WHERE relation = 'jobs'::regclass AND mode = 'ExclusiveLock' AND granted") == ["1"]
        })
        for (id, clip) in zip(ids, clips) {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: clip))
        }
        let waiting = try await eventually(within: 120) {
            try postgres.psql("SELECT count(*) FROM pg_locks WHERE relation = 'jobs'::regclass AND NOT granted") != ["0"]
        }
        try #require(waiting, "no gold transaction reached the jobs table: \(daemon.log.suffix(3000))")
        #expect(try service.lake.logEntries(event: "task.succeeded", task: "gold.catalog").isEmpty)
        try PostgresTestServer.service("restart")

        let done = try await eventually(within: 180) {
            try postgres.rows("SELECT count(*) FROM jobs WHERE state = 'succeeded'") == ["\(ids.count)"]
        }
        #expect(done, "\(daemon.log.suffix(4000))")
        // Committed: the group has nothing left to read.
        let uncommitted = try await eventually(within: 30) {
            try service.oracle.consume(service.requests, group: service.group, max: 1, timeout: 5).isEmpty
        }
        #expect(uncommitted, "offsets were not committed")
        #expect(try await daemon.stop(within: 30) == 0, "\(daemon.log.suffix(3000))")

        // A commit was interrupted and retried: a gold.catalog attempt failed, a later one won.
        let interrupted = try service.lake.logEntries(event: "task.retrying", task: "gold.catalog")
        #expect(!interrupted.isEmpty, "the restart interrupted no commit")
        // No job decoded twice: one silver.media run per job, in the catalog and the job logs.
        #expect(try postgres.psql("SELECT count(*), count(DISTINCT job_id) FROM task_runs WHERE task = 'silver.media'")
            == ["\(ids.count)|\(ids.count)"])
        #expect(try service.lake.logEntries(event: "task.running", task: "silver.media").count == ids.count)
        #expect(try postgres.psql("SELECT request_id FROM jobs ORDER BY request_id") == ids.sorted())
        // One event and one mail per request, counted where a repeat would show.
        #expect(try service.oracle.readAll(service.processed).compactMap(\.key).sorted() == ids.sorted())
        expectDelivered(try service.mails(kind: "ready"), ServiceLake.once(ids, kind: "ready"))
    }
}
