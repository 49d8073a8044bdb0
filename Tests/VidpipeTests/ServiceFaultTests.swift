import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// `vidpipe run` in Kafka mode through crashes, shutdowns, a rebalance and a broker restart.
/// "Once" is counted where a duplicate would show: deliveries at the real SMTP server per
/// Message-ID, decodes per request in the job logs, and the processed topic read whole.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && SMTPTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA or VIDPIPE_TEST_SMTP is not set (scripts/services/kafka start, scripts/services/smtp start)"))
struct ServiceFaultTests {
    /// (b) kill -9 mid-job, then restart: each request recorded, decoded and mailed once
    /// (the job killed mid-way may have started its decode before the kill: at most twice).
    @Test func crashAndRestartDoesEveryRequestOnce() async throws {
        let service = try ServiceLake(environment: ["VIDPIPE_JOB_CONCURRENCY": "1"])
        defer { service.remove() }
        let ids = (1...6).map { "crash-\($0)" }
        for id in ids {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")))
        }
        let first = try DaemonProcess(service, name: "first")
        #expect(try await eventually(within: 30) { try first.count("job started") >= 2 })
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let decodedBeforeTheKill = try service.decodes()
        let recordedBeforeTheKill = Set(try service.rows("SELECT request_id FROM jobs").compactMap { $0["request_id"]?.text })

        let second = try DaemonProcess(service, name: "second")
        #expect(try await second.waitUntilConsuming())
        let done = try await eventually(within: 60) {
            try service.rows("SELECT request_id FROM jobs").count >= ids.count && service.mails(kind: "ready").count >= ids.count
        }
        #expect(done, "\(second.log)")
        #expect(try await second.stop(within: 20) == 0, "\(second.log.suffix(4000))")
        let perRequest = try service.rows("SELECT request_id, COUNT(*) AS n FROM jobs GROUP BY request_id")
        #expect(perRequest.count == ids.count && perRequest.allSatisfy { $0["n"]?.number == 1 }, "\(perRequest)")
        expectDelivered(try service.mails(kind: "ready"), ServiceLake.once(ids, kind: "ready"))
        // Only a job the kill cut short (decoding, not yet recorded) decodes again; one
        // recorded before the kill is answered from the catalog after the restart.
        let decodes = try service.decodes()
        for id in ids {
            let cutShort = decodedBeforeTheKill[id] != nil && !recordedBeforeTheKill.contains(id)
            #expect(decodes[id] == 1 || (cutShort && decodes[id] == 2), "\(id) decoded \(decodes[id] ?? 0) times: \(decodes)")
        }
        let runs = try service.rows("""
            SELECT j.request_id, COUNT(*) AS n FROM task_runs t JOIN jobs j ON j.id = t.job_id
            WHERE t.task = 'silver.media' AND t.state = 'succeeded' GROUP BY j.request_id
            """)
        #expect(runs.count == ids.count && runs.allSatisfy { $0["n"]?.number == 1 }, "\(runs)")
        // At least once on the topic: one event per request, a second only for a job
        // recorded before the kill, whose offset the kill may have left uncommitted.
        let events = try service.oracle.readAll(service.processed).compactMap(\.key)
        for id in ids {
            let count = events.filter { $0 == id }.count
            #expect(count == 1 || (recordedBeforeTheKill.contains(id) && count == 2), "\(id): \(count) events in \(events)")
        }
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
        #expect(try await eventually(within: 30) { try daemon.count("job started") >= 1 })
        #expect(try await daemon.stop(within: 20) == 0, "\(daemon.log)")
        let finished = try daemon.count("job finished")
        #expect(finished >= 1)
        #expect(try service.rows("SELECT id FROM jobs").count == finished)
        // Every job that finished was published and its mail sent in the last notifier pass.
        #expect(try service.oracle.readAll(service.processed).count == finished)
        #expect(try service.mails(kind: "ready").count == finished)

        let again = try DaemonProcess(service, name: "again")
        #expect(try await again.waitUntilConsuming())
        #expect(try await eventually(within: 60) { try service.rows("SELECT id FROM jobs").count == ids.count })
        #expect(try await eventually(within: 20) { try service.mails(kind: "ready").count >= ids.count })
        #expect(try await again.stop(within: 20) == 0, "\(again.log.suffix(4000))")
        #expect(try service.rows("SELECT DISTINCT request_id FROM jobs").count == ids.count)
        expectDelivered(try service.mails(kind: "ready"), ServiceLake.once(ids, kind: "ready"))
        #expect(try service.decodes() == ServiceLake.once(ids), "a job finished before SIGTERM is not run again")
        #expect(try service.oracle.readAll(service.processed).compactMap(\.key).sorted() == ids)
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
        // Stopped once the decode runs: the job is in the middle of its work.
        #expect(try await eventually(within: 30) { try service.decodes()["long"] == 1 })
        #expect(try await daemon.stop(within: 30) == 0, "\(daemon.log.suffix(4000))")
        #expect(try daemon.count("job interrupted by the shutdown") == 1, "\(daemon.log.suffix(4000))")
        #expect(try daemon.count("job finished") == 0)
        #expect(try service.rows("SELECT id FROM jobs").isEmpty)
        #expect(try service.rows("SELECT id FROM notifications").isEmpty)
        #expect(try Maildir.shared().mails(to: service.recipient).isEmpty)

        let again = try DaemonProcess(service, name: "again", environment: ["VIDPIPE_SHUTDOWN_GRACE_SECONDS": "120"])
        #expect(try await eventually(within: 180) { try service.mails(kind: "ready").count >= 1 })
        #expect(try await again.stop(within: 30) == 0, "\(again.log.suffix(4000))")
        let jobs = try service.rows("SELECT state FROM jobs WHERE request_id = 'long'")
        #expect(jobs.count == 1 && jobs.first?["state"] == .string("succeeded"), "\(jobs)")
        expectDelivered(try service.mails(kind: "ready"), ["<long.ready@vidpipe>": 1])
        #expect(try service.decodes() == ["long": 2], "once cut short, once to the end")
        #expect(try service.oracle.readAll(service.processed).compactMap(\.key) == ["long"])
    }

    /// (f) Two daemons in one group on a 4-partition topic: both work, nothing is done twice.
    @Test func twoDaemonsSplitTheWork() async throws {
        let service = try ServiceLake(partitions: 4)
        defer { service.remove() }
        let one = try DaemonProcess(service, name: "one")
        let two = try DaemonProcess(service, name: "two")
        // The work arrives once the group has settled: each holds a share of the partitions
        // and together all four (tansu holds each join ~3 s).
        let split = try await eventually(within: 60) {
            let (left, right) = (try one.assignment(), try two.assignment())
            return !left.isEmpty && !right.isEmpty && left.isDisjoint(with: right) && left.union(right) == [0, 1, 2, 3]
        }
        #expect(split, "\(one.log.suffix(2000))\n\(two.log.suffix(2000))")
        let ids = (1...8).map { "split-\($0)" }
        for (index, id) in ids.enumerated() {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")),
                                       partition: index % 4)
        }
        let done = try await eventually(within: 60) { try service.mails(kind: "ready").count >= ids.count }
        #expect(done, "\(one.log)\n\(two.log)")
        #expect(try await one.stop(within: 20) == 0)
        #expect(try await two.stop(within: 20) == 0)
        #expect(try service.rows("SELECT request_id FROM jobs ORDER BY request_id").compactMap { $0["request_id"]?.text } == ids.sorted())
        let (ranOne, ranTwo) = (try one.count("job started"), try two.count("job started"))
        #expect(ranOne > 0 && ranTwo > 0, "one ran \(ranOne), two ran \(ranTwo)")
        #expect(ranOne + ranTwo == ids.count)
        #expect(try service.decodes() == ServiceLake.once(ids))
        expectDelivered(try service.mails(kind: "ready"), ServiceLake.once(ids, kind: "ready"))
        #expect(try service.oracle.readAll(service.processed).compactMap(\.key).sorted() == ids.sorted())
    }

    /// (e) The broker is killed and restarted (its log kept, as Kafka keeps it); the daemon
    /// reconnects, rejoins its group and processes what is produced afterwards, once.
    @Test func consumerContinuesAfterABrokerRestart() async throws {
        let broker = try PrivateKafkaBroker()
        let service = try ServiceLake(bootstrap: broker.bootstrap, clientProperties: ["reconnect.backoff.max.ms": "1000"])
        defer { service.remove() }
        try service.oracle.produce(service.requests, key: "before", value: ServiceLake.request(id: "before", path: try service.clip("before.mp4")))
        let daemon = try DaemonProcess(service)
        #expect(try await service.oracle.waitForMessages(service.processed, count: 1, within: 40).count == 1, "\(daemon.log)")

        let refusedBefore = try daemon.count("Connection refused")
        broker.stop()
        // Started again once the daemon has noticed the broker gone.
        #expect(try await eventually(within: 30) { try daemon.count("Connection refused") > refusedBefore }, "\(daemon.log.suffix(3000))")
        try broker.start()
        try service.oracle.produce(service.requests, key: "after", value: ServiceLake.request(id: "after", path: try service.clip("after.mp4")))
        let processed = try await service.oracle.waitForMessages(service.processed, count: 2, within: 60)
        #expect(processed.compactMap(\.key) == ["before", "after"], "\(daemon.log.suffix(4000))")
        #expect(try service.rows("SELECT request_id FROM jobs").count == 2)
        #expect(try await daemon.stop(within: 20) == 0, "\(daemon.log.suffix(4000))")
        #expect(try service.decodes() == ServiceLake.once(["before", "after"]))
        // Both offsets were committed before the daemon left.
        #expect(try service.oracle.consume(service.requests, group: service.group, max: 1, timeout: 8).isEmpty)
    }
}
