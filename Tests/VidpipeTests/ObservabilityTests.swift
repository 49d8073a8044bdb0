import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// The daemon's HTTP endpoint, read the way Prometheus and a load balancer read it:
/// `/metrics` parsed by prometheus_client's parser and held against the catalog (the
/// `sqlite3` CLI), `/health` and `/ready` as JSON.
@Suite(.serialized) struct ObservabilityTests {
    /// One good video, a second copy of it (duplicate), another good one, and a file with no
    /// streams (rejected): every state the counters split by.
    private static func mixedClips(in lake: TestLake) throws -> [String] {
        let first = try lake.distinctClip("first.mp4", size: "640x480", seconds: 4)
        let copy = lake.incoming + "/copy.mp4"
        try FileManager.default.copyItem(atPath: first, toPath: copy)
        let second = try lake.distinctClip("second.mp4", seconds: 2)
        let empty = lake.incoming + "/empty.mp4"
        try Clip.zeroStreams(empty)
        return [first, second, copy, empty]
    }

    /// `vidpipe_jobs_total` by state and verdict, as the catalog counts its jobs.
    private static func expectJobCountsMatch(_ scrape: MetricsOracle.Scrape, catalog rows: [[String: JSONValue]],
                                             sourceLocation: SourceLocation = #_sourceLocation) {
        var expected: [String: Double] = [:]
        for row in rows { expected["\(row["state"]?.text ?? "?")/\(row["verdict"]?.text ?? "none")", default: 0] += 1 }
        var scraped: [String: Double] = [:]
        for sample in scrape.all("vidpipe_jobs_total") where sample.value > 0 {
            scraped["\(sample.labels["state"] ?? "?")/\(sample.labels["verdict"] ?? "?")"] = sample.value
        }
        #expect(scraped == expected, "metrics \(scraped) vs catalog \(expected)", sourceLocation: sourceLocation)
    }

    private static func size(_ path: String) throws -> Double {
        Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? -1)
    }

    /// Bytes of every regular file under `folder`.
    private static func bytes(under folder: String) throws -> Double {
        let names = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return try names.reduce(0) { total, name in
            let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)
            return total + ((attributes[.type] as? FileAttributeType) == .typeRegular ? Double(attributes[.size] as? Int64 ?? 0) : 0)
        }
    }

    @Test func inboxDaemonMetricsMatchTheCatalogWhileJobsRun() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake, environment: ["VIDPIPE_INBOX_POLL_SECONDS": "0.2", "VIDPIPE_JOB_CONCURRENCY": "1",
                                                           "VIDPIPE_LOG_LEVEL": "info"])
        let endpoint = try #require(try await MetricsOracle.waitForEndpoint(lake: lake.root), "no endpoint: \(daemon.log)")
        let clips = try Self.mixedClips(in: lake)
        for clip in clips {
            // One at a time, in order: the copy must find the first recorded to be its duplicate.
            let produced = try lake.vidpipe(["produce", clip])
            #expect(produced.status == 0, "\(produced.stderr)")
        }

        // Scrape while the jobs run: one job at a time, the others wait in the inbox.
        var sawJobRunning = false, sawQueue = false
        let settled = try await eventually(within: 90, every: .milliseconds(50)) {
            let scrape = try endpoint.scrape()
            if (scrape.value("vidpipe_jobs_in_flight") ?? 0) >= 1 { sawJobRunning = true }
            if (scrape.value("vidpipe_intake_queue_depth", ["origin": "inbox"]) ?? 0) >= 1 { sawQueue = true }
            return scrape.all("vidpipe_jobs_total").reduce(0) { $0 + $1.value } == Double(clips.count)
        }
        #expect(settled, "\(daemon.log)")
        #expect(sawJobRunning && sawQueue, "in flight seen: \(sawJobRunning), queue seen: \(sawQueue)")

        let scrape = try endpoint.scrape()
        Self.expectJobCountsMatch(scrape, catalog: try lake.query("SELECT state, verdict FROM jobs"))
        #expect(scrape.value("vidpipe_jobs_in_flight") == 0)
        // Every recorded attempt of a task is one observation of its histogram.
        for row in try lake.query("SELECT task, COUNT(*) AS n FROM task_runs WHERE state IN ('succeeded', 'failed', 'retrying') GROUP BY task") {
            let task = row["task"]?.text ?? "?"
            #expect(scrape.value("vidpipe_task_duration_seconds_count", ["task": task]) == row["n"]?.number, "task \(task)")
        }
        // The two new videos were decoded; the duplicate and the empty file were not.
        let frames = Double(try CommandLineTool.videoFrameCount(clips[0]) + CommandLineTool.videoFrameCount(clips[1]))
        #expect(scrape.value("vidpipe_decode_frames_total") == frames)
        let hashed = try lake.query("""
            SELECT j.source_path AS path FROM jobs j JOIN task_runs t ON t.job_id = j.id
            WHERE t.task = 'bronze.checksum' AND t.state = 'succeeded'
            """).compactMap { $0["path"]?.text }
        #expect(hashed.count >= 3)
        let bytesIn = try hashed.reduce(0) { try $0 + Self.size($1) }
        let bytesOut = try Self.bytes(under: lake.root + "/silver")
        #expect(scrape.value("vidpipe_bytes_in_total") == bytesIn)
        #expect(scrape.value("vidpipe_bytes_out_total") == bytesOut)
        // Embedded mode has no notifier backlog: the outbox mailer delivered each at once.
        let pending = try lake.query("SELECT COUNT(*) AS n FROM notifications WHERE state = 'pending'").first?["n"]?.number
        #expect(try await eventually(within: 10) {
            let gauge = try endpoint.scrape().value("vidpipe_notifications_pending")
            return gauge == pending
        })

        try Self.expectJobIDsOnEveryLine(lake)
        #expect(try await daemon.stop(within: 20) == 0)
    }

    /// Every line of a job's log names its job and request, and the video from the moment
    /// bronze has hashed the file; the daemon log's lines about a job name it too.
    private static func expectJobIDsOnEveryLine(_ lake: TestLake) throws {
        let jobs = try lake.query("SELECT id, request_id, video_id, duplicate_of, log_path FROM jobs")
        #expect(jobs.count == 4)
        for job in jobs {
            let id = job["id"]?.text ?? "?"
            let entries = try lake.logEntries(job["log_path"]?.text ?? "")
            #expect(entries.count > 3)
            #expect(entries.allSatisfy { $0["job"]?.text == id && $0["request_id"]?.text == job["request_id"]?.text }, "\(id)")
            let video = job["video_id"]?.text ?? job["duplicate_of"]?.text
            if let video {
                // bronze.dedup ends succeeded for new content, skipped for a duplicate.
                let afterDedup = entries.drop { entry in
                    !(entry["task"]?.text == "bronze.dedup" && ["task.succeeded", "task.skipped"].contains(entry["event"]?.text ?? ""))
                }
                #expect(afterDedup.count > 1 && afterDedup.allSatisfy { $0["video_id"]?.text == video }, "\(id): \(entries)")
            }
        }
        // The daemon log (JSON lines): each job's "job started" and "job finished" lines carry its ids.
        let daemonLines = try String(contentsOfFile: lake.root + "/logs/vidpipe.log", encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
        for job in jobs {
            let lines = daemonLines.filter { $0["job"]?.text == job["id"]?.text }
            #expect(lines.filter { $0["message"]?.text == "job started" || $0["message"]?.text == "job finished" }.count == 2, "\(lines)")
            #expect(lines.allSatisfy { $0["request"]?.text == job["request_id"]?.text })
            if let video = job["video_id"]?.text {
                #expect(lines.first { $0["message"]?.text == "job finished" }?["video"]?.text == video)
            }
        }
    }

    @Test(.enabled(if: KafkaTestBroker.isEnabled && SMTPTestServer.shouldRun, Comment(rawValue: KafkaTestBroker.skipReason)))
    func kafkaDaemonMetricsMatchTheCatalog() async throws {
        let service = try ServiceLake(environment: ["VIDPIPE_JOB_CONCURRENCY": "1"])
        defer { service.remove() }
        let daemon = try DaemonProcess(service)
        let endpoint = try #require(try await MetricsOracle.waitForEndpoint(lake: service.lake.root), "no endpoint: \(daemon.log)")
        #expect(try await daemon.waitUntilConsuming(), "\(daemon.log)")
        let clips = [try service.clip("a.mp4", seconds: 3), try service.clip("b.mp4", seconds: 2), service.lake.incoming + "/empty.mp4"]
        try Clip.zeroStreams(clips[2])
        for (index, clip) in clips.enumerated() {
            try service.oracle.produce(service.requests, key: "r\(index)", value: ServiceLake.request(id: "r\(index)", path: clip))
        }
        var sawQueue = false
        let settled = try await eventually(within: 90, every: .milliseconds(50)) {
            let scrape = try endpoint.scrape()
            if (scrape.value("vidpipe_intake_queue_depth", ["origin": "kafka"]) ?? 0) >= 1 { sawQueue = true }
            return scrape.all("vidpipe_jobs_total").reduce(0) { $0 + $1.value } == Double(clips.count)
        }
        #expect(settled, "\(daemon.log)")
        #expect(sawQueue, "two requests waited behind the one job slot, but no scrape showed a queue")
        let scrape = try endpoint.scrape()
        Self.expectJobCountsMatch(scrape, catalog: try service.rows("SELECT state, verdict FROM jobs"))
        #expect(scrape.value("vidpipe_intake_queue_depth", ["origin": "kafka"]) == 0)
        let frames = Double(try CommandLineTool.videoFrameCount(clips[0]) + CommandLineTool.videoFrameCount(clips[1]))
        #expect(scrape.value("vidpipe_decode_frames_total") == frames)
        // The notifier's backlog, as the catalog counts it once the mail has gone out.
        #expect(try await eventually(within: 30) {
            let pending = try service.rows("SELECT COUNT(*) AS n FROM notifications WHERE state = 'pending'").first?["n"]?.number
            let gauge = try endpoint.scrape().value("vidpipe_notifications_pending")
            return pending == 0 && gauge == 0
        })
        // Lag per partition where the broker reports a watermark: the requests topic's only partition.
        for sample in scrape.all("vidpipe_kafka_consumer_lag") {
            #expect(sample.labels["topic"] == service.requests && sample.labels["partition"] == "0" && sample.value >= 0)
        }
        #expect(try await daemon.stop(within: 20) == 0)
    }

    @Test(.enabled(if: PostgresTestServer.shouldRun, Comment(rawValue: PostgresTestServer.skipReason)))
    func readyNamesTheDependencyThatDoesNotAnswer() async throws {
        let postgres = try TestDatabase.create()
        defer { try? postgres.drop() }
        // A port nothing listens on, for the mail server.
        let deadSMTP = try Self.unusedPort()
        let lake = try TestLake(environment: ["PG_CONN_URI": postgres.uri, "SMTP_SERVER": "127.0.0.1", "SMTP_PORT": "\(deadSMTP)",
                                              "SMTP_SECURITY": "none", "VIDPIPE_PG_CALL_DEADLINE_SECONDS": "1"])
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake)
        let endpoint = try #require(try await MetricsOracle.waitForEndpoint(lake: lake.root), "no endpoint: \(daemon.log)")
        let password = URLComponents(string: postgres.uri)?.password ?? "no password"

        let health = try endpoint.get("/health")
        #expect(health.status == 200 && health.body.json["status"]?.text == "ok", "\(health)")

        var ready = try endpoint.get("/ready")
        #expect(ready.status == 503, "\(ready)")
        #expect(Self.check("catalog", in: ready.body)?["ok"] == .bool(true), "\(ready.body)")
        let smtp = Self.check("smtp", in: ready.body)
        #expect(smtp?["ok"] == .bool(false) && smtp?["reason"]?.text?.contains("127.0.0.1:\(deadSMTP)") == true, "\(ready.body)")
        #expect(Self.check("broker", in: ready.body) == nil, "no broker is configured: \(ready.body)")

        let frozen = try FrozenPostgres()
        ready = try endpoint.get("/ready")
        frozen.thaw()
        #expect(ready.status == 503)
        let catalog = Self.check("catalog", in: ready.body)
        #expect(catalog?["ok"] == .bool(false) && !(catalog?["reason"]?.text ?? "").isEmpty, "\(ready.body)")
        #expect(!ready.body.contains(password), "the password leaked: \(ready.body)")
        // /health is about the process alone: a frozen database does not make it fail.
        #expect(try await eventually(within: 20) {
            let body = try endpoint.get("/ready").body
            return Self.check("catalog", in: body)?["ok"] == .bool(true)
        })
        #expect(try await daemon.stop(within: 20) == 0)
    }

    @Test(.enabled(if: KafkaTestBroker.isEnabled && SMTPTestServer.shouldRun, Comment(rawValue: KafkaTestBroker.skipReason)))
    func readyIsTrueWhenEveryConfiguredDependencyAnswers() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let daemon = try DaemonProcess(service)
        let endpoint = try #require(try await MetricsOracle.waitForEndpoint(lake: service.lake.root), "no endpoint: \(daemon.log)")
        let ready = try endpoint.get("/ready")
        #expect(ready.status == 200, "\(ready)")
        let names = Set((ready.body.json["checks"]?.array ?? []).compactMap { $0.object?["name"]?.text })
        #expect(names == ["catalog", "broker", "smtp"] && ready.body.json["ready"] == .bool(true), "\(ready.body)")
        #expect(try await daemon.stop(within: 20) == 0)
    }

    private static func check(_ name: String, in body: String) -> [String: JSONValue]? {
        (body.json["checks"]?.array ?? []).compactMap(\.object).first { $0["name"]?.text == name }
    }

    private static func unusedPort() throws -> Int {
        let output = try CommandLineTool.checked("python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]).text
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1
    }

    @Test func daemonLogRotatesAtItsCapAndKeepsTheNewestLines() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let cap = 4096
        let daemon = try DaemonProcess(lake, environment: ["VIDPIPE_INBOX_POLL_SECONDS": "0.2", "VIDPIPE_LOG_LEVEL": "info",
                                                           "VIDPIPE_LOG_MAX_BYTES": "\(cap)", "VIDPIPE_LOG_FILES": "2"])
        let clip = try lake.distinctClip("clip.mp4")
        // Each request writes a few lines (all but the first are duplicates); enough to fill more than three files.
        for _ in 0..<30 { _ = try lake.vidpipe(["produce", clip]) }
        #expect(try await eventually(within: 120) { try lake.requests(in: lake.inbox + "/done").count == 30 }, "\(daemon.log)")
        #expect(try await daemon.stop(within: 20) == 0)

        let logs = lake.root + "/logs/"
        let names = try FileManager.default.contentsOfDirectory(atPath: logs).filter { $0.hasPrefix("vidpipe.log") }.sorted()
        #expect(names == ["vidpipe.log", "vidpipe.log.1", "vidpipe.log.2"])
        var kept: [String] = []
        for name in ["vidpipe.log.2", "vidpipe.log.1", "vidpipe.log"] {
            let text = try String(contentsOfFile: logs + name, encoding: .utf8)
            #expect(text.utf8.count <= cap, "\(name): \(text.utf8.count) bytes")
            kept += text.split(separator: "\n").map { line in
                (try? JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8)))?["message"]?.text ?? "unparsable: \(line)"
            }
        }
        // stderr got every line: the files hold its newest lines, in order, none missing.
        let stderr = try daemon.readLog().split(separator: "\n")
        #expect(stderr.count > kept.count && kept.count > 20, "stderr \(stderr.count) lines, kept \(kept.count)")
        let newest = stderr.suffix(kept.count)
        #expect(zip(newest, kept).allSatisfy { $0.hasSuffix(" " + $1) }, "kept \(kept) vs stderr \(newest)")
    }

    @Test func processPrintsPlainProgressLinesWhenNotATerminal() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let clip = try lake.distinctClip("progress.mp4", seconds: 2)
        let result = try lake.vidpipe(["process", clip])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(!result.stderr.contains("\u{1B}") && !result.stderr.contains("\r"))
        #expect(lines.starts(with: ["progress.mp4: bronze", "progress.mp4: silver"]), "\(lines)")
        let decode = lines.filter { $0.hasPrefix("progress.mp4: decode ") }
        #expect(decode.last?.wholeMatch(of: /progress\.mp4: decode 100% \d+ fps eta 0s/) != nil, "\(lines)")
        #expect(lines.suffix(2) == ["progress.mp4: gold", "progress.mp4: succeeded (pass) [1/1]"], "\(lines)")
    }

    @Test func processRedrawsOneProgressLineOnATerminal() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let clip = try lake.distinctClip("tty.mp4", seconds: 2)
        // script(1) gives vidpipe a pseudo-terminal as stdin, stdout and stderr.
        let command = ([try VidpipeBinary.path(), "process", clip]).map { "'\($0)'" }.joined(separator: " ")
        let result = try CommandLineTool.run("script", ["-qefc", command, "/dev/null"], environment: lake.processEnvironment, in: lake.scratch.url)
        #expect(result.status == 0, "\(result.text)")
        let screen = result.text
        #expect(screen.contains("\r\u{1B}[2K[0/1] tty.mp4: bronze.validate"), "\(screen.debugDescription)")
        #expect(screen.contains(/\r\x1B\[2K\[0\/1\] tty\.mp4: silver\.media 100% \d+ fps eta 0s/), "\(screen.debugDescription)")
        #expect(screen.contains("\r\u{1B}[2K[1/1] tty.mp4: succeeded (pass)"))
        // The progress never scrolls: no line of it ends in a newline.
        #expect(!screen.contains(/tty\.mp4: [a-z.]+[^\r\n]*\r?\n\r\x1B/))
    }
}

extension JSONValue {
    fileprivate var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }
}

extension String {
    /// The text as a JSON object; empty when it is not one.
    fileprivate var json: [String: JSONValue] { (try? JSONDecoder().decode([String: JSONValue].self, from: Data(utf8))) ?? [:] }
}
