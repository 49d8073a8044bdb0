import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// PostgreSQL hangs (every process stopped with SIGSTOP) while `vidpipe process` runs, with
/// a 1 s call deadline. A passing outage must not fail a good video; one that outlasts the
/// outage tolerance leaves the job unrecorded, so it is redone, never recorded as failed.
@Suite(.serialized, .enabled(if: PostgresTestServer.shouldRun, Comment(rawValue: PostgresTestServer.skipReason)))
struct CatalogOutageTests {
    @Test func aFourSecondFreezeFailsNoGoodVideoAndDecodesEachOnce() async throws {
        let postgres = try TestDatabase.create()
        defer { try? postgres.drop() }
        var lake = try TestLake(environment: ["PG_CONN_URI": postgres.uri, "VIDPIPE_PG_CALL_DEADLINE_SECONDS": "1"])
        defer { lake.remove() }
        let clips = try (1...6).map { try lake.distinctClip("clip-\($0).mp4") }

        let running = try DaemonProcess(lake, name: "process", arguments: ["process", "--json"] + clips)
        try #require(try await eventually(within: 60, every: .milliseconds(20)) { try !lake.allLogEntries().isEmpty },
                     "no job started: \(running.log.suffix(2000))")
        let frozen = try FrozenPostgres()
        try await Task.sleep(for: .seconds(4))  // the outage itself
        frozen.thaw()
        #expect(try await eventually(within: 180) { !running.process.isRunning }, "\(running.log.suffix(3000))")

        #expect(running.process.terminationStatus == 0, "\(running.log.suffix(3000))")
        let report = try JSONDecoder.snakeCase.decode(ProcessReport.self, from: running.output)
        #expect(report.jobs.map(\.state) == Array(repeating: "succeeded", count: clips.count), "\(report.jobs)")
        #expect(try postgres.psql("SELECT state, count(*) FROM jobs GROUP BY state") == ["succeeded|\(clips.count)"])
        // The freeze hit catalog calls, which were retried in place ...
        let retried = try lake.allLogEntries().filter { $0["event"] == .string("task.retrying") }
        #expect(!retried.isEmpty, "the freeze never reached a catalog call")
        // ... and no job decoded its source twice.
        let decodes = try postgres.psql("SELECT job_id, count(*), max(attempt) FROM task_runs WHERE task = 'silver.media' GROUP BY job_id")
        #expect(decodes.count == clips.count)
        #expect(decodes.allSatisfy { $0.hasSuffix("|1|1") }, "\(decodes)")
        #expect(try lake.logEntries(event: "task.running", task: "silver.media").count == clips.count)
    }

    @Test func anOutageLongerThanTheToleranceLeavesTheJobUnrecordedToBeRedone() async throws {
        let postgres = try TestDatabase.create()
        defer { try? postgres.drop() }
        var lake = try TestLake(environment: [
            "PG_CONN_URI": postgres.uri, "VIDPIPE_PG_CALL_DEADLINE_SECONDS": "1", "VIDPIPE_OUTAGE_TOLERANCE_SECONDS": "1",
        ])
        defer { lake.remove() }
        let clip = try lake.distinctClip("clip.mp4")
        // The catalog exists (migrated) before the outage; the job meets the server hung.
        #expect(try lake.process([try lake.distinctClip("warm-up.mp4")]).status == 0)

        let running = try DaemonProcess(lake, name: "process", arguments: ["process", "--json", clip])
        try #require(try await eventually(within: 60, every: .milliseconds(20)) {
            try lake.allLogEntries().contains { $0["event"] == .string("job.started") && $0["detail"]?.object?["path"] == .string(clip) }
        }, "the job did not start: \(running.log.suffix(2000))")
        let frozen = try FrozenPostgres()
        let ended = try await eventually(within: 60) { !running.process.isRunning }
        frozen.thaw()
        try #require(ended, "the job did not give up while the server hung: \(running.log.suffix(3000))")

        #expect(running.process.terminationStatus != 0)
        let job = try #require(try JSONDecoder.snakeCase.decode(ProcessReport.self, from: running.output).jobs.first)
        #expect(job.recorded == false)
        #expect(job.errorCode == "infrastructure_unavailable", "\(job)")
        #expect(job.message?.contains("runs again later") == true, "\(job.message ?? "")")
        #expect(try postgres.psql("SELECT source_path FROM jobs") == [lake.incoming + "/warm-up.mp4"])
        #expect(lake.entries(of: lake.staging).isEmpty)

        // Redone once the server answers: recorded as the good video it is.
        let (status, report) = try lake.process([clip])
        #expect(status == 0)
        #expect(report.jobs.first?.state == "succeeded")
        #expect(try postgres.psql("SELECT count(*) FROM jobs WHERE state = 'succeeded'") == ["2"])
    }
}
