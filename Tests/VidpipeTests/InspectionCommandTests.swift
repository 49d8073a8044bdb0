import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// The inspection commands (`status`, `jobs`, `show`, `logs`, `retry`) against a lake
/// whose catalog is SQLite or PostgreSQL, each answer checked against the catalog itself
/// through the database's own CLI (sqlite3, psql).
@Suite(.serialized) struct InspectionCommandTests {
    /// The catalogs a lake can use.
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A lake on one catalog, with that catalog's CLI as the oracle.
    struct InspectedLake {
        var lake: TestLake
        let database: TestDatabase?

        init(_ backend: Backend) throws {
            if backend == .postgres {
                try #require(PostgresTestServer.shouldRun, Comment(rawValue: PostgresTestServer.skipReason))
                let database = try TestDatabase.create()
                self.database = database
                lake = try TestLake(environment: ["PG_CONN_URI": database.uri, "VIDPIPE_MISSING_SIDECAR": "ignore"])
            } else {
                database = nil
                lake = try TestLake(environment: ["VIDPIPE_MISSING_SIDECAR": "ignore"])
            }
        }

        /// Rows as `a|b|c` lines, NULL as nothing, from sqlite3 or psql.
        func oracle(_ sql: String) throws -> [String] {
            try database.map { try $0.psql(sql) } ?? SQLite3Oracle.query(lake.catalog, sql)
        }

        /// `vidpipe ARGS --json`, decoded as plain JSON.
        func json(_ arguments: [String], expectStatus: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
            let result = try lake.vidpipe(arguments + ["--json"])
            #expect(result.status == expectStatus, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
            return try JSONSerialization.jsonObject(with: result.stdout)
        }

        func remove() {
            lake.remove()
            try? database?.drop()
        }
    }

    /// One good clip, one text file named .mp4 (rejected) and a copy of the clip (a duplicate).
    private static func processThree(_ inspected: InspectedLake) throws -> (good: String, bad: String, copy: String) {
        let lake = inspected.lake
        let good = try lake.distinctClip("good.mp4", seconds: 2)
        let bad = lake.incoming + "/notes.mp4"
        try Data("not a video\n".utf8).write(to: URL(fileURLWithPath: bad))
        let copy = lake.incoming + "/copy.mp4"
        try FileManager.default.copyItem(atPath: good, toPath: copy)
        let (status, report) = try lake.process([good, bad, copy])
        #expect(status == 1)
        #expect(report.jobs.map(\.state) == ["succeeded", "rejected", "duplicate"], "\(report.jobs)")
        return (good, bad, copy)
    }

    @Test(arguments: Backend.allCases)
    func statusAndJobsMatchTheCatalog(_ backend: Backend) throws {
        let inspected = try InspectedLake(backend)
        defer { inspected.remove() }
        _ = try Self.processThree(inspected)

        let summary = try #require(try inspected.json(["status"]) as? [String: Any])
        let totals = (summary["totals"] as? [[String: Any]] ?? []).map { tally in
            "\(tally["state"] as? String ?? "")|\(tally["verdict"] as? String ?? "")|\(tally["jobs"] as? Int ?? -1)"
        }
        #expect(totals == (try inspected.oracle("SELECT state, verdict, count(*) FROM jobs GROUP BY state, verdict ORDER BY state, coalesce(verdict, '')")))
        let lastHour = try #require(summary["last_hour"] as? [String: Any])
        #expect(lastHour["jobs"] as? Int == 3)
        let bytes = try inspected.oracle("SELECT sum(v.size_bytes) FROM jobs j JOIN videos v ON v.id = j.video_id")
        #expect(bytes == ["\(lastHour["video_bytes"] as? Int ?? -1)"])
        let failures = (summary["recent_failures"] as? [[String: Any]] ?? []).map { "\($0["id"] as? String ?? "")|\($0["error_code"] as? String ?? "")" }
        #expect(failures == (try inspected.oracle("SELECT id, error_code FROM jobs WHERE state IN ('failed', 'rejected') ORDER BY created_at DESC")))
        #expect(failures.first?.hasSuffix("|text_file") == true)

        let newestFirst = try inspected.oracle("SELECT id FROM jobs ORDER BY created_at DESC, id DESC")
        let listed = try #require(try inspected.json(["jobs"]) as? [[String: Any]])
        #expect(listed.map { $0["id"] as? String ?? "" } == newestFirst)
        let rejected = try #require(try inspected.json(["jobs", "--state", "rejected", "--state", "duplicate"]) as? [[String: Any]])
        #expect(rejected.map { $0["id"] as? String ?? "" }
                == (try inspected.oracle("SELECT id FROM jobs WHERE state IN ('rejected', 'duplicate') ORDER BY created_at DESC, id DESC")))
        let newest = try #require(try inspected.json(["jobs", "--limit", "1"]) as? [[String: Any]])
        #expect(newest.map { $0["id"] as? String ?? "" } == Array(newestFirst.prefix(1)))
        #expect((try inspected.json(["jobs", "--since", "1h"]) as? [[String: Any]])?.count == 3)
        #expect((try inspected.json(["jobs", "--since", "0s"]) as? [[String: Any]])?.isEmpty == true)
        let badState = try inspected.lake.vidpipe(["jobs", "--state", "lost"])
        #expect(badState.status == 2 && badState.stderr.contains("succeeded"), "\(badState.stderr)")

        // `status ID`: task runs in the order the DAG runs them, not alphabetical.
        let goodJob = try #require(try inspected.oracle("SELECT id FROM jobs WHERE state = 'succeeded'").first)
        let detail = try #require(try inspected.json(["status", goodJob]) as? [String: Any])
        let runs = (detail["task_runs"] as? [[String: Any]] ?? []).compactMap { $0["task"] as? String }
        let outline = try inspected.lake.vidpipe(["dag", "--layer", "job", "--format", "text"])
        let dagOrder = HappyPathTests.taskNames(inOutline: outline.text)
        #expect(runs == dagOrder.filter(runs.contains), "\(runs)")
        #expect(runs.sorted() == (try inspected.oracle("SELECT task FROM task_runs WHERE job_id = '\(goodJob)' ORDER BY task")))
        #expect(runs != runs.sorted(), "the DAG order of this job is not alphabetical, so the check above can tell them apart")
    }

    @Test(arguments: Backend.allCases)
    func showTellsEverythingTheCatalogHoldsAboutOneVideo(_ backend: Backend) throws {
        let inspected = try InspectedLake(backend)
        defer { inspected.remove() }
        let clip = inspected.lake.incoming + "/black_middle.mp4"
        try SilverEndToEndTests.clipWithBlackMiddle(clip)
        let (_, report) = try inspected.lake.process([clip])
        let job = try #require(report.jobs.first)
        let videoID = try #require(job.videoId)
        let sha = try #require(job.sha256)

        let byHash = try #require(try inspected.json(["show", sha]) as? [String: Any])
        for target in [job.jobId, videoID, clip] {
            let other = try #require(try inspected.json(["show", target]) as? [String: Any])
            #expect((other["job"] as? [String: Any])?["id"] as? String == job.jobId, "\(target)")
        }
        let video = try #require(byHash["video"] as? [String: Any])
        #expect(video["id"] as? String == videoID)
        #expect(try inspected.oracle("SELECT content_sha256, size_bytes FROM videos WHERE id = '\(videoID)'")
                == ["\(video["content_sha256"] as? String ?? "")|\(video["size_bytes"] as? Int ?? -1)"])
        let probed = try CommandLineTool.ffprobe(clip)
        let streams = ((video["metadata"] as? [String: Any])?["streams"] as? [[String: Any]] ?? []).map { $0["codec_name"] as? String ?? "" }
        #expect(streams == (probed.streams ?? []).map { $0.codecName ?? "?" })

        let qc = try #require(byHash["qc"] as? [String: Any])
        let findings = (qc["findings"] as? [[String: Any]] ?? []).map { finding in
            ["kind", "severity", "start_seconds", "end_seconds"].map { key in finding[key].map { "\($0)" } ?? "" }.joined(separator: "|")
        }
        let recorded = try inspected.oracle("SELECT kind, severity, start_seconds, end_seconds FROM qc_findings WHERE job_id = '\(job.jobId)' ORDER BY seq")
        #expect(findings.map(Self.roundedNumbers) == recorded.map(Self.roundedNumbers))
        #expect(findings.contains { $0.hasPrefix("qc.black|") }, "\(findings)")

        let renditions = (byHash["renditions"] as? [[String: Any]] ?? []).map { "\($0["name"] as? String ?? "")|\($0["size_bytes"] as? Int ?? -1)" }
        #expect(!renditions.isEmpty)
        #expect(renditions.sorted() == (try inspected.oracle("SELECT name, size_bytes FROM renditions WHERE video_id = '\(videoID)'")).sorted())
        #expect((byHash["scene_cuts"] as? [Any])?.count == Int(try inspected.oracle("SELECT count(*) FROM scene_cuts WHERE video_id = '\(videoID)'").first ?? ""))
        let notifications = (byHash["notifications"] as? [[String: Any]] ?? []).map { "\($0["kind"] as? String ?? "")|\($0["state"] as? String ?? "")" }
        #expect(notifications == (try inspected.oracle("SELECT kind, state FROM notifications WHERE job_id = '\(job.jobId)' ORDER BY created_at")))
        #expect((byHash["task_runs"] as? [Any])?.count == Int(try inspected.oracle("SELECT count(*) FROM task_runs WHERE job_id = '\(job.jobId)'").first ?? ""))
        let logPath = try #require(byHash["log_path"] as? String)
        #expect(FileManager.default.fileExists(atPath: logPath))
        // The report page silver.report_page wrote is linked while it exists, and only then.
        let page = inspected.lake.root + "/silver/\(videoID)/report.html"
        #expect(byHash["report_path"] as? String == page && FileManager.default.fileExists(atPath: page))
        try FileManager.default.removeItem(atPath: page)
        #expect((try inspected.json(["show", videoID]) as? [String: Any])?["report_path"] == nil)

        let missing = try inspected.lake.vidpipe(["show", "no-such-thing"])
        #expect(missing.status == 1 && missing.stderr.contains("no-such-thing"), "\(missing.stderr)")
        let text = try inspected.lake.vidpipe(["show", job.jobId])
        #expect(text.status == 0 && text.text.contains("qc.black") && text.text.contains(logPath), "\(text.text)")
    }

    /// Numbers as the databases print them differ in their last digits (REAL vs float8).
    private static func roundedNumbers(_ line: String) -> String {
        line.split(separator: "|", omittingEmptySubsequences: false).map { field in
            Double(field).map { String(format: "%.4f", $0) } ?? String(field)
        }.joined(separator: "|")
    }

    @Test func logsArePrettyOnATerminalAndRawWhenPiped() throws {
        let inspected = try InspectedLake(.sqlite)
        defer { inspected.remove() }
        let (_, report) = try inspected.lake.process([try inspected.lake.distinctClip("clip.mp4")])
        let job = try #require(report.jobs.first)
        let raw = try Data(contentsOf: URL(fileURLWithPath: job.logPath))

        let piped = try inspected.lake.vidpipe(["logs", job.jobId])
        #expect(piped.status == 0)
        #expect(piped.stdout == raw)
        // util-linux's `script` gives the command a terminal.
        let command = ([try VidpipeBinary.path(), "logs", job.jobId]).map { "'\($0)'" }.joined(separator: " ")
        let tty = try CommandLineTool.run("/usr/bin/script", ["-qec", command, "/dev/null"],
                                          environment: inspected.lake.processEnvironment, in: inspected.lake.scratch.url)
        #expect(tty.status == 0, "\(tty.stderr)")
        let lines = tty.text.split(whereSeparator: \.isNewline).filter { !$0.isEmpty }
        let rawLines = raw.split(separator: 0x0A)
        #expect(lines.count == rawLines.count, "\(tty.text)")
        #expect(!tty.text.contains("{\""), "\(tty.text)")
        #expect(lines.first?.contains("job.started") == true && lines.last?.contains("job.finished") == true, "\(tty.text)")
        #expect(tty.text.contains("silver.media #1"), "\(tty.text)")
    }

    @Test(arguments: Backend.allCases)
    func retryRunsAFixedFileAgainAsANewLinkedJob(_ backend: Backend) throws {
        let inspected = try InspectedLake(backend)
        defer { inspected.remove() }
        let lake = inspected.lake
        let path = lake.incoming + "/upload.mp4"
        try Data("an upload that went wrong\n".utf8).write(to: URL(fileURLWithPath: path))
        let (_, first) = try lake.process([path])
        let old = try #require(first.jobs.first)
        #expect(old.state == "rejected" && old.errorCode == "text_file")

        // The file is fixed, then the job retried.
        try Clip.good(path)
        let retry = try #require(try inspected.json(["retry", old.jobId]) as? [String: Any])
        #expect(retry["action"] as? String == "ran")
        #expect(retry["retried"] as? String == old.jobId)
        let newJob = try #require(retry["job"] as? [String: Any])
        let newID = try #require(newJob["job_id"] as? String)
        #expect(newJob["state"] as? String == "succeeded")
        #expect(newJob["retry_of"] as? String == old.jobId)
        #expect(try inspected.oracle("SELECT id, state, retry_of, request_id FROM jobs ORDER BY created_at")
                == ["\(old.jobId)|rejected||\(old.requestId ?? "")", "\(newID)|succeeded|\(old.jobId)|retry-\(old.jobId)"])
        #expect(try inspected.oracle("SELECT count(*) FROM videos WHERE id = (SELECT video_id FROM jobs WHERE id = '\(newID)')") == ["1"])

        // Once is enough: the recorded retry answers, nothing runs again.
        let again = try #require(try inspected.json(["retry", old.jobId]) as? [String: Any])
        #expect(again["action"] as? String == "already_retried")
        let answered = try #require(again["job"] as? [String: Any])
        #expect(answered["job_id"] as? String == newID)
        // Answered from the catalog as the run itself reported it: findings, renditions, mail.
        for key in ["findings", "renditions", "notifications"] {
            #expect((answered[key] as? [Any])?.count == (newJob[key] as? [Any])?.count, "\(key)")
        }
        #expect((answered["renditions"] as? [Any])?.isEmpty == false)
        #expect(try inspected.oracle("SELECT count(*) FROM jobs") == ["2"])
        #expect(try lake.jobsStarted().values.reduce(0, +) == 2)

        // A job that succeeded is not retried.
        let refused = try lake.vidpipe(["retry", newID])
        #expect(refused.status == 1 && refused.stderr.contains("only failed or rejected jobs are retried"), "\(refused.stderr)")
        #expect(try inspected.oracle("SELECT count(*) FROM jobs") == ["2"])

        let text = try lake.vidpipe(["show", newID])
        #expect(text.text.contains("retry of   \(old.jobId)"), "\(text.text)")
        let shownOld = try #require(try inspected.json(["show", old.jobId]) as? [String: Any])
        #expect((shownOld["retries"] as? [[String: Any]])?.map { $0["id"] as? String } == [newID])
    }

    /// Retrying a policy rejection without changing the file finds the same content: the
    /// retry is a duplicate of the rejected video and says so; once the file is fixed, that
    /// retry is retried in turn.
    @Test func retryOfAnUnchangedFileIsADuplicateAndItsRetryRunsTheFixedFile() throws {
        var inspected = try InspectedLake(.sqlite)
        defer { inspected.remove() }
        inspected.lake.environment["VIDPIPE_POLICY_AUDIO"] = "require"
        let lake = inspected.lake
        let path = lake.incoming + "/mute.mp4"
        try Clip.silent(path)
        let (_, first) = try lake.process([path])
        let old = try #require(first.jobs.first)
        #expect(old.errorCode == "policy_rejected")

        let unchanged = try lake.vidpipe(["retry", old.jobId])
        #expect(unchanged.status == 1)
        #expect(unchanged.text.contains("the file has not changed since job \(old.jobId)"), "\(unchanged.text)")
        let rows = try inspected.oracle("SELECT id, state, duplicate_of FROM jobs WHERE retry_of = '\(old.jobId)'")
        let duplicate = try #require(rows.first?.split(separator: "|", omittingEmptySubsequences: false).map(String.init))
        #expect(Array(duplicate.dropFirst()) == ["duplicate", old.videoId ?? "?"], "\(rows)")

        try FileManager.default.removeItem(atPath: path)
        try Clip.good(path)
        let fixed = try #require(try inspected.json(["retry", duplicate[0]]) as? [String: Any])
        #expect((fixed["job"] as? [String: Any])?["state"] as? String == "succeeded")
        #expect(try inspected.oracle("SELECT state FROM jobs WHERE retry_of = '\(duplicate[0])'") == ["succeeded"])
    }

    @Test func probeNamesTheErrorCodeNotASwiftType() throws {
        let inspected = try InspectedLake(.sqlite)
        defer { inspected.remove() }
        let empty = inspected.lake.incoming + "/no_streams.mp4"
        try Clip.zeroStreams(empty)
        let result = try inspected.lake.vidpipe(["probe", empty])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("vidpipe: no_streams: "), "\(result.stderr)")
        #expect(!result.stderr.contains("Error."), "\(result.stderr)")
    }
}
