import Daemon
import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Signed webhooks against a real HTTP server (`scripts/webhook-receiver`, Python), counted
/// where they arrive: the receiver's own log of every request, its signature checked in Python.
@Suite struct WebhookTests {
    static let secret = "whsec-test-5c1e0d"

    /// A lake whose jobs tell `receivers`, with fast retries so the tests need no long waits.
    static func lake(_ receivers: [WebhookReceiver], extra: [String: String] = [:]) throws -> TestLake {
        try TestLake(environment: environment(receivers).merging(extra) { _, new in new })
    }

    /// The variables that make jobs tell `receivers` (retries fast, no renditions).
    static func environment(_ receivers: [WebhookReceiver]) -> [String: String] {
        [
            "VIDPIPE_WEBHOOK_URLS": receivers.map(\.url).joined(separator: ", "), "VIDPIPE_WEBHOOK_SECRET": secret,
            "VIDPIPE_WEBHOOK_BACKOFF_SECONDS": "0.2", "VIDPIPE_WEBHOOK_TIMEOUT_SECONDS": "5", "VIDPIPE_MISSING_SIDECAR": "ignore",
            "VIDPIPE_RENDITIONS": "none", "VIDPIPE_INBOX_POLL_SECONDS": "0.2",
        ]
    }

    static func receiver(_ lake: ScratchDirectory, _ name: String, port: Int = 0, options: [String] = []) throws -> WebhookReceiver {
        try WebhookReceiver(secret: secret, logPath: lake.path("\(name).jsonl"), port: port, options: options)
    }

    /// Rows of the webhook outbox, and its attempts, as the sqlite3 CLI reads them.
    static func deliveries(_ lake: TestLake) throws -> [[String: JSONValue]] {
        try lake.catalogRows("SELECT id, event_id, event_type, url, state, attempts, last_status FROM webhook_deliveries ORDER BY created_at, url")
    }

    static func attempts(_ lake: TestLake) throws -> [[String: JSONValue]] {
        try lake.catalogRows("SELECT delivery_id, attempt, status, latency_ms, error FROM webhook_attempts ORDER BY delivery_id, attempt")
    }

    @Test func processSignsOneEventPerJobWithTheProcessedEventsKeysToEveryEndpoint() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let first = try Self.receiver(scratch, "first")
        let second = try Self.receiver(scratch, "second")
        var lake = try Self.lake([first, second])
        defer { lake.remove() }
        let clip = try lake.distinctClip("clip.mp4")
        let bad = lake.incoming + "/bad.mp4"
        try Data("not a video at all".utf8).write(to: URL(fileURLWithPath: bad))

        let run = try lake.vidpipe(["process", "--json", clip])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONDecoder().decode([String: JSONValue].self, from: run.stdout)
        guard case .array(let jobs) = report["jobs"], let job = jobs.first?.object else {
            Issue.record("no job in the report: \(run.text)")
            return
        }
        for receiver in [first, second] {
            let requests = try receiver.requests()
            #expect(requests.count == 1, "\(requests)")
            #expect(requests.first?.refusal == nil, "the receiver refused the signature: \(requests)")
            #expect(requests.first?.event == "video.ready")
        }
        let request = try #require(try first.requests().first)
        #expect(try second.requests().first?.eventID == request.eventID, "one event, one id for every endpoint")
        // The keys of the processed event (`process --json`'s job plus schema_version), and the event's own.
        let body = try JSONDecoder().decode([String: JSONValue].self, from: Data(request.body.utf8))
        #expect(Set(body.keys) == Set(job.keys).union(["schema_version", "event_id", "event", "occurred_at"]))
        #expect(try JSONSchemaOracle.violations(of: Data(request.body.utf8), schema: "webhook-event") == [], "\(request.body)")
        for key in ["job_id", "request_id", "sha256", "video_id", "state", "verdict"] {
            #expect(body[key] == job[key], "\(key)")
        }
        #expect(try Self.deliveries(lake).map { $0["state"]?.text } == ["delivered", "delivered"])
        #expect(try Self.attempts(lake).map { $0["status"]?.number } == [200, 200])

        // The receiver's check with vidpipe's own command: good, tampered, replayed.
        let signature = try #require(request.signature)
        func verify(_ header: String, _ body: String) throws -> ToolResult {
            let input = scratch.path("body-\(UUID().uuidString.prefix(6))")
            try Data(body.utf8).write(to: URL(fileURLWithPath: input))
            return try CommandLineTool.run("/bin/sh", ["-c", "\"$VIDPIPE\" webhook verify --signature \"$1\" --secret-env HOOK_SECRET --tolerance 300 < \"$2\"",
                                                       "sh", header, input],
                                           environment: ["VIDPIPE": try VidpipeBinary.path(), "HOOK_SECRET": Self.secret])
        }
        #expect(try verify(signature, request.body).status == 0)
        let tampered = try verify(signature, request.body.replacingOccurrences(of: "video.ready", with: "video.deleted"))
        #expect(tampered.status == 1 && tampered.stderr.contains("does not match"), "\(tampered.stderr)")
        let staleTime = Int(Date().timeIntervalSince1970) - 3600
        let staleMAC = try CommandLineTool.checked("/usr/bin/python3", ["-c", """
            import hashlib, hmac, sys
            print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode() + b"." + sys.argv[3].encode(), hashlib.sha256).hexdigest())
            """, Self.secret, "\(staleTime)", request.body]).text.trimmingCharacters(in: .whitespacesAndNewlines)
        let replayed = try verify("t=\(staleTime),v1=\(staleMAC)", request.body)
        #expect(replayed.status == 1 && replayed.stderr.contains("replay"), "\(replayed.stderr)")

        // The same bytes again, and a file that is no video: duplicate and rejected events.
        #expect(try lake.process([clip, bad]).status == 1)
        // Jobs of one run finish in any order.
        #expect(try first.requests().map(\.event).first == "video.ready")
        #expect(Set(try first.requests().compactMap(\.event)) == ["video.ready", "video.duplicate", "video.rejected"])
        #expect(Set(try first.requests().compactMap(\.eventID)).count == 3)
    }

    @Test func aFailedAttemptIsRetriedWithTheSameEventIDAndDeliveredOnce() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let receiver = try Self.receiver(scratch, "flaky", options: ["--fail-first", "1", "--fail-status", "500"])
        var lake = try Self.lake([receiver])
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake)
        try Inbox(layout: DatalakeLayout(root: lake.root)).submit(IngestRequest(path: try lake.distinctClip("clip.mp4")))

        let delivered = try await eventually(within: 90) { try Self.deliveries(lake).map { $0["state"]?.text } == ["delivered"] }
        #expect(delivered, "\((try? Self.deliveries(lake)) ?? []) \(daemon.log.suffix(2000))")
        let requests = try receiver.requests()
        #expect(requests.map(\.status) == [500, 200], "\(requests)")
        #expect(Set(requests.map(\.eventID)).count == 1 && requests.first?.eventID != nil, "a retry carries the same event id")
        #expect(requests.allSatisfy { $0.refusal == nil })
        #expect(try receiver.accepted().count == 1)
        #expect(try Self.attempts(lake).map { $0["status"]?.number } == [500, 200])
        #expect(try await daemon.stop(within: 30) == 0)
    }

    @Test func anAttemptThatTimesOutIsRecordedAndRetried() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let receiver = try Self.receiver(scratch, "slow", options: ["--slow-first", "1", "--slow-seconds", "4"])
        var lake = try Self.lake([receiver], extra: ["VIDPIPE_WEBHOOK_TIMEOUT_SECONDS": "1"])
        defer { lake.remove() }
        #expect(try lake.process([try lake.distinctClip("clip.mp4")]).status == 0)
        // `process` tries once: the attempt timed out and the delivery waits for its retry.
        let attempts = try Self.attempts(lake)
        #expect(attempts.count == 1 && attempts.first?["status"] == .null, "\(attempts)")
        #expect(attempts.first?["error"]?.text?.lowercased().contains("timed out") == true, "\(attempts)")
        #expect(try Self.deliveries(lake).map { $0["state"]?.text } == ["pending"])

        let daemon = try DaemonProcess(lake)
        let delivered = try await eventually(within: 60) { try Self.deliveries(lake).map { $0["state"]?.text } == ["delivered"] }
        #expect(delivered, "\(daemon.log.suffix(2000))")
        let requests = try receiver.requests()
        #expect(requests.count == 2 && Set(requests.map(\.eventID)).count == 1, "\(requests)")
        #expect(try Self.attempts(lake).map { $0["status"]?.number } == [nil, 200])
        #expect(try await daemon.stop(within: 30) == 0)
    }

    @Test func eventsOfJobsFinishedWhileTheEndpointWasDownAreAllDeliveredWhenItIsBack() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        var receiver = try Self.receiver(scratch, "returning")
        let port = receiver.port
        receiver.stop()
        var lake = try Self.lake([receiver])
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake)
        let inbox = Inbox(layout: DatalakeLayout(root: lake.root))
        try inbox.submit(IngestRequest(path: try lake.distinctClip("new.mp4")))
        try inbox.submit(IngestRequest(path: try lake.distinctClip("changed.mp4"), event: .modified))
        try inbox.submit(IngestRequest(path: lake.incoming + "/gone.mp4", event: .deleted))

        // Every event failed at least once against the closed port.
        let refused = try await eventually(within: 90) {
            let attempts = try Self.attempts(lake)
            return Set(attempts.compactMap { $0["delivery_id"]?.text }).count == 3 && attempts.allSatisfy { $0["status"] == .null }
        }
        #expect(refused, "\((try? Self.attempts(lake)) ?? []) \(daemon.log.suffix(2000))")
        receiver = try Self.receiver(scratch, "returning", port: port)
        let delivered = try await eventually(within: 60) { try Self.deliveries(lake).allSatisfy { $0["state"]?.text == "delivered" } }
        #expect(delivered, "\((try? Self.deliveries(lake)) ?? [])")
        let accepted = try receiver.accepted()
        #expect(accepted.count == 3, "\(accepted.map(\.event))")
        #expect(Set(accepted.compactMap(\.event)) == ["video.ready", "video.modified", "video.deleted"])
        #expect(Set(accepted.compactMap(\.eventID)) == Set(try Self.deliveries(lake).compactMap { $0["event_id"]?.text }))
        #expect(try await daemon.stop(within: 30) == 0)
    }

    @Test func anEventInFlightWhenTheDaemonIsKilledIsDeliveredAfterTheRestartWithItsID() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        // The first request is held past the kill: the receiver has it, vidpipe never hears back.
        // Held long enough for a loaded machine to get the kill in; the restarted daemon waits
        // out the dead one's lease (timeout + 5 s) before it sends again.
        let receiver = try Self.receiver(scratch, "held", options: ["--slow-first", "1", "--slow-seconds", "10"])
        var lake = try Self.lake([receiver], extra: ["VIDPIPE_WEBHOOK_TIMEOUT_SECONDS": "12"])
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake)
        try Inbox(layout: DatalakeLayout(root: lake.root)).submit(IngestRequest(path: try lake.distinctClip("clip.mp4")))
        let arrived = try await eventually(within: 90) { try receiver.requests().count == 1 }
        try #require(arrived, "\(daemon.log.suffix(2000))")
        #expect(try await daemon.stop(with: SIGKILL, within: 10) != nil)
        let committed = try Self.deliveries(lake)
        #expect(committed.map { $0["state"]?.text } == ["pending"] && committed.first?["attempts"]?.number == 0, "\(committed)")

        let restarted = try DaemonProcess(lake)
        let delivered = try await eventually(within: 60) { try Self.deliveries(lake).map { $0["state"]?.text } == ["delivered"] }
        #expect(delivered, "\(restarted.log.suffix(2000))")
        let requests = try receiver.requests()
        #expect(requests.count == 2, "at least once: the held copy and the one after the restart: \(requests)")
        #expect(Set(requests.map(\.eventID)) == [committed.first?["event_id"]?.text], "\(requests)")
        #expect(requests.allSatisfy { $0.refusal == nil })
        #expect(try await restarted.stop(within: 30) == 0)
    }

    @Test func aClientErrorIsGivenUpAtOnceAndRecorded() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let receiver = try Self.receiver(scratch, "gone", options: ["--fail-first", "1000", "--fail-status", "410"])
        var lake = try Self.lake([receiver])
        defer { lake.remove() }
        #expect(try lake.process([try lake.distinctClip("clip.mp4")]).status == 0)
        let deliveries = try Self.deliveries(lake)
        #expect(deliveries.map { $0["state"]?.text } == ["failed"] && deliveries.first?["last_status"]?.number == 410, "\(deliveries)")
        let attempts = try Self.attempts(lake)
        #expect(attempts.count == 1 && attempts.first?["error"]?.text?.hasPrefix("HTTP 410") == true, "\(attempts)")
        // The next run delivers what is due: the given-up event is not tried again.
        #expect(try lake.process([try lake.distinctClip("other.mp4")]).status == 0)
        #expect(try receiver.requests().count == 2)
        #expect(Set(try receiver.requests().compactMap(\.eventID)).count == 2)
    }
}
