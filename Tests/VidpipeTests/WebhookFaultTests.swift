import Daemon
import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Webhook deliveries that cannot succeed, against the real `scripts/webhook-receiver`: the
/// retry window running out, a redirect, TLS that does not verify, an endpoint removed from
/// the configuration, and `vidpipe process` sending retries. What arrived is counted in the
/// receiver's own log; what vidpipe decided is read from the catalog with sqlite3.
@Suite struct WebhookFaultTests {
    static let secret = WebhookTests.secret

    static func states(_ lake: TestLake) throws -> [String?] { try WebhookTests.deliveries(lake).map { $0["state"]?.text } }

    @Test func aDeliveryStillFailingWhenTheRetryWindowEndsIsGivenUpShownAndNotSentAgain() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let receiver = try WebhookTests.receiver(scratch, "unavailable", options: ["--fail-first", "1000000", "--fail-status", "503"])
        let token = "tok-\(UUID().uuidString.prefix(8))"
        // 0.002 h = 7.2 s. Backoff 0.5, 1, 2, 4 s: about four attempts, then the next would fall outside.
        let lake = try WebhookTests.lake([receiver], extra: [
            "VIDPIPE_WEBHOOK_URLS": receiver.url + "?token=" + token, "VIDPIPE_WEBHOOK_RETRY_HOURS": "0.002",
            "VIDPIPE_WEBHOOK_BACKOFF_SECONDS": "0.5",
        ])
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake)
        let metrics = try #require(try await MetricsOracle.waitForEndpoint(lake: lake.root), "no endpoint: \(daemon.log)")
        try Inbox(layout: DatalakeLayout(root: lake.root)).submit(IngestRequest(path: try lake.distinctClip("clip.mp4")))

        let gaveUp = try await eventually(within: 90) { try Self.states(lake) == ["failed"] }
        #expect(gaveUp, "\((try? WebhookTests.deliveries(lake)) ?? []) \(daemon.log.suffix(2000))")
        let attempts = try WebhookTests.attempts(lake)
        #expect(attempts.count >= 2 && attempts.allSatisfy { $0["status"]?.number == 503 }, "\(attempts)")
        #expect(attempts.allSatisfy { ($0["latency_ms"]?.number ?? 0) > 0 }, "a latency for every attempt: \(attempts)")
        #expect(try receiver.requests().count == attempts.count, "every attempt arrived, and only those")
        // The last wait before giving up was at most 4 s: a sender still retrying would have sent again within 6 s.
        let sentAgain = try await eventually(within: 6) { try receiver.requests().count > attempts.count }
        #expect(!sentAgain, "\((try? receiver.requests().count) ?? -1) requests after the give-up at \(attempts.count)")

        let eventID = try #require(try WebhookTests.deliveries(lake).first?["event_id"]?.text)
        let given = try #require(try daemon.readLog().split(separator: "\n").first { $0.contains("webhook given up") }, "\(daemon.log)")
        #expect(given.contains(eventID) && given.contains("retry_window") && given.contains("HTTP 503"), "\(given)")
        let log = try daemon.readLog()
        #expect(!log.contains(token) && !log.contains(Self.secret))
        #expect(try metrics.scrape().value("vidpipe_webhooks_given_up_total", ["reason": "retry_window"]) == 1)
        // The gauge is read each pass of the sender: nothing is pending any more.
        #expect(try await eventually(within: 10) { try metrics.scrape().value("vidpipe_webhooks_pending") == 0 })
        #expect(try await daemon.stop(within: 30) == 0)

        let status = try lake.vidpipe(["status"])
        #expect(status.status == 0 && status.text.contains("webhooks: 1 given up"), "\(status.text) \(status.stderr)")
        let row = try #require(status.text.split(separator: "\n").first { $0.contains(eventID) }, "\(status.text)")
        #expect(row.contains("video.ready") && row.contains("503") && row.contains("\(attempts.count)") && !row.contains(token), "\(row)")
        let json = try lake.vidpipe(["status", "--json"]).stdout
        #expect(try JSONSchemaOracle.violations(of: json, schema: "status") == [])
        let summary = try JSONDecoder().decode([String: JSONValue].self, from: json)
        #expect(summary["webhooks"] == .array([.object(["state": .string("failed"), "deliveries": .number(1)])]), "\(summary)")
        #expect(try receiver.requests().count == attempts.count, "nothing sent after the give-up, up to the daemon's stop")
    }

    @Test func badRetryHoursAndAnUnreadableCAFileStopStartUpNamingTheVariable() throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let receiver = try WebhookTests.receiver(scratch, "unused")
        let lake = try WebhookTests.lake([receiver])
        defer { lake.remove() }
        let clip = try lake.distinctClip("clip.mp4")
        for value in ["abc", "-1", "0"] {
            let run = try lake.vidpipe(["process", clip], environment: ["VIDPIPE_WEBHOOK_RETRY_HOURS": value])
            #expect(run.status == 2 && run.stderr.contains("VIDPIPE_WEBHOOK_RETRY_HOURS: \"\(value)\" is not a positive number of hours"),
                    "\(value): \(run.stderr)")
        }
        let missing = scratch.path("no-such-ca.pem")
        let run = try lake.vidpipe(["process", clip], environment: ["VIDPIPE_WEBHOOK_CA_FILE": missing])
        #expect(run.status == 2 && run.stderr.contains("VIDPIPE_WEBHOOK_CA_FILE: \(missing) does not exist or cannot be read"), "\(run.stderr)")
        #expect(try receiver.requests().isEmpty)
        #expect(try lake.catalogRows("SELECT id FROM jobs").isEmpty, "nothing ran")
    }

    @Test func aRedirectIsGivenUpWithItsStatusAndNotFollowed() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let target = try WebhookTests.receiver(scratch, "target")
        let moved = try WebhookTests.receiver(scratch, "moved", options: ["--fail-first", "1000", "--fail-status", "302", "--location", target.url])
        let lake = try WebhookTests.lake([moved])
        defer { lake.remove() }
        #expect(try lake.process([try lake.distinctClip("clip.mp4")]).status == 0)
        let deliveries = try WebhookTests.deliveries(lake)
        #expect(deliveries.map { $0["state"]?.text } == ["failed"] && deliveries.first?["last_status"]?.number == 302, "\(deliveries)")
        #expect(try WebhookTests.attempts(lake).map { $0["status"]?.number } == [302])
        #expect(try moved.requests().count == 1)
        #expect(try target.requests().isEmpty, "the redirect was followed: \((try? target.requests()) ?? [])")
    }

    /// A self-signed certificate for `subjectAltName` (e.g. `IP:127.0.0.1`), made with the openssl CLI.
    static func certificate(_ scratch: ScratchDirectory, _ name: String, subjectAltName: String) throws -> (cert: String, key: String) {
        let (cert, key) = (scratch.path("\(name).pem"), scratch.path("\(name).key"))
        try CommandLineTool.checked("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=vidpipe-test-\(name)",
                                                "-addext", "subjectAltName=\(subjectAltName)", "-keyout", key, "-out", cert])
        return (cert, key)
    }

    @Test func httpsIsDeliveredOnlyToACertificateThatVerifiesForTheHost() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let local = try Self.certificate(scratch, "local", subjectAltName: "IP:127.0.0.1")
        let secure = try WebhookTests.receiver(scratch, "secure", options: ["--cert", local.cert, "--key", local.key])
        var lake = try WebhookTests.lake([secure])
        defer { lake.remove() }
        let clip = try lake.distinctClip("clip.mp4")

        // Not trusted: no request arrives, the attempt names the certificate problem, the delivery waits.
        #expect(try lake.process([clip]).status == 0)
        let refused = try WebhookTests.attempts(lake)
        #expect(refused.count == 1 && refused.first?["status"] == .null, "\(refused)")
        #expect(refused.first?["error"]?.text?.contains("SSL certificate problem: self-signed certificate") == true, "\(refused)")
        #expect(try Self.states(lake) == ["pending"])
        #expect(try secure.requests().isEmpty)

        // Trusted through VIDPIPE_WEBHOOK_CA_FILE: the waiting retry and the new event both arrive, signatures verified.
        lake.environment["VIDPIPE_WEBHOOK_CA_FILE"] = local.cert
        #expect(try lake.process([clip]).status == 0)
        #expect(try Self.states(lake) == ["delivered", "delivered"])
        let arrived = try secure.requests()
        #expect(arrived.count == 2 && arrived.allSatisfy { $0.refusal == nil && $0.status == 200 }, "\(arrived)")
        #expect(Set(arrived.compactMap(\.event)) == ["video.ready", "video.duplicate"])

        // A certificate for another name is refused even with it trusted.
        let other = try Self.certificate(scratch, "other", subjectAltName: "DNS:other.example")
        let impostor = try WebhookTests.receiver(scratch, "impostor", options: ["--cert", other.cert, "--key", other.key])
        let misnamed = try WebhookTests.lake([impostor], extra: ["VIDPIPE_WEBHOOK_CA_FILE": other.cert])
        defer { misnamed.remove() }
        #expect(try misnamed.process([try misnamed.distinctClip("clip.mp4")]).status == 0)
        let mismatch = try WebhookTests.attempts(misnamed)
        #expect(mismatch.count == 1 && mismatch.first?["status"] == .null, "\(mismatch)")
        #expect(mismatch.first?["error"]?.text?.contains("no alternative certificate subject name matches target host name '127.0.0.1'") == true,
                "\(mismatch)")
        #expect(try impostor.requests().isEmpty)
    }

    @Test func deliveriesToAnEndpointRemovedFromTheConfigurationAreGivenUpUnsentWhileTheOthersGoOn() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let removed = try WebhookTests.receiver(scratch, "removed", options: ["--fail-first", "1000", "--fail-status", "503"])
        let kept = try WebhookTests.receiver(scratch, "kept", options: ["--fail-first", "1", "--fail-status", "503"])
        let token = "tok-\(UUID().uuidString.prefix(8))"
        var lake = try WebhookTests.lake([removed, kept], extra: [
            "VIDPIPE_WEBHOOK_URLS": "\(removed.url)?token=\(token),\(kept.url)", "VIDPIPE_WEBHOOK_BACKOFF_SECONDS": "2",
        ])
        defer { lake.remove() }
        let first = try DaemonProcess(lake)
        try Inbox(layout: DatalakeLayout(root: lake.root)).submit(IngestRequest(path: try lake.distinctClip("clip.mp4")))
        let bothFailed = try await eventually(within: 90) { try WebhookTests.deliveries(lake).filter { $0["attempts"]?.number ?? 0 >= 1 }.count == 2 }
        #expect(bothFailed, "\((try? WebhookTests.deliveries(lake)) ?? []) \(first.log.suffix(2000))")
        #expect(try await first.stop(within: 30) == 0)
        let sentBefore = try removed.requests().count
        #expect(sentBefore >= 1)

        lake.environment["VIDPIPE_WEBHOOK_URLS"] = kept.url
        let second = try DaemonProcess(lake)
        let settled = try await eventually(within: 60) {
            try Set(WebhookTests.deliveries(lake).map { "\($0["state"]?.text ?? "")" }) == ["failed", "delivered"]
        }
        #expect(settled, "\((try? WebhookTests.deliveries(lake)) ?? []) \(second.log.suffix(2000))")
        #expect(try await second.stop(within: 30) == 0)

        let rows = try lake.catalogRows("SELECT url, state, last_error, attempts FROM webhook_deliveries")
        let dropped = try #require(rows.first { $0["url"]?.text?.hasPrefix(removed.url) == true })
        #expect(dropped["state"]?.text == "failed" && dropped["last_error"]?.text == "endpoint no longer in VIDPIPE_WEBHOOK_URLS", "\(dropped)")
        #expect(dropped["attempts"]?.number == Double(sentBefore), "no attempt recorded for the give-up")
        #expect(try removed.requests().count == sentBefore, "sent to a removed endpoint")
        #expect(try kept.accepted().count == 1 && Set(try kept.requests().map(\.eventID)).count == 1)
        #expect(try !(first.readLog() + second.readLog()).contains(token))
        #expect(try lake.vidpipe(["status"]).text.contains("endpoint no longer in VIDPIPE_WEBHOOK_URLS"))
    }

    @Test func theNextProcessSendsARetryThatCameDueAndWebhookWaitRetriesInTheSameRun() async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-webhooks")
        defer { scratch.remove() }
        let receiver = try WebhookTests.receiver(scratch, "flaky", options: ["--fail-first", "1", "--fail-status", "503"])
        let lake = try WebhookTests.lake([receiver])
        defer { lake.remove() }
        let clip = try lake.distinctClip("clip.mp4")
        let once = try lake.vidpipe(["process", clip])
        #expect(once.status == 0 && once.text.contains("webhooks  1 not delivered yet"), "\(once.text)")
        #expect(try Self.states(lake) == ["pending"])
        // Nothing new to process (the same bytes: a duplicate); the first run's retry goes out with it.
        #expect(try lake.process([clip]).status == 0)
        #expect(try Self.states(lake) == ["delivered", "delivered"])
        #expect(try receiver.requests().map(\.status) == [503, 200, 200])
        #expect(Set(try receiver.accepted().compactMap(\.event)) == ["video.ready", "video.duplicate"])

        // --webhook-wait: one run retries on the backoff until delivered.
        let waiting = try WebhookTests.receiver(scratch, "waiting", options: ["--fail-first", "2", "--fail-status", "503"])
        let patient = try WebhookTests.lake([waiting])
        defer { patient.remove() }
        let run = try patient.vidpipe(["process", "--webhook-wait", "30", try patient.distinctClip("clip.mp4")])
        #expect(run.status == 0 && !run.text.contains("not delivered yet"), "\(run.text)")
        #expect(try Self.states(patient) == ["delivered"])
        #expect(try waiting.requests().map(\.status) == [503, 503, 200])
        #expect(try patient.vidpipe(["process", "--webhook-wait", "-1", "x.mp4"]).status == 2, "a negative wait is a usage error")
    }
}
