import Foundation
import Testing
import VidpipeTestSupport

import Execution
@testable import Webhooks

/// The signature against Python's `hmac` (the oracle), and the refusals a receiver relies on.
@Suite struct WebhookSignatureTests {
    static let secret = "whsec-test-7f3a"
    static let body = #"{"event":"video.ready","event_id":"e1","job_id":"j1","schema_version":1}"#

    @Test func signatureEqualsPythonsHMAC() throws {
        let signature = WebhookSignature(body: Array(Self.body.utf8), secret: Self.secret, timestamp: 1_700_000_000)
        let python = try CommandLineTool.checked("/usr/bin/python3", ["-c", """
            import hashlib, hmac, sys
            print(hmac.new(sys.argv[1].encode(), b"1700000000." + sys.argv[2].encode(), hashlib.sha256).hexdigest())
            """, Self.secret, Self.body])
        #expect(signature.v1 == python.text.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(signature.description == "t=1700000000,v1=\(signature.v1)")
    }

    @Test func verifyAcceptsAFreshSignatureAndRefusesTamperingAndReplays() throws {
        let now = Date()
        let header = WebhookSignature(body: Array(Self.body.utf8), secret: Self.secret, timestamp: Int64(now.timeIntervalSince1970)).description
        try WebhookSignature.verify(header: header, body: Array(Self.body.utf8), secret: Self.secret, toleranceSeconds: 300, now: now)
        #expect(throws: WebhookSignature.Refusal.mismatch) {
            try WebhookSignature.verify(header: header, body: Array((Self.body + " ").utf8), secret: Self.secret, toleranceSeconds: 300, now: now)
        }
        #expect(throws: WebhookSignature.Refusal.mismatch) {
            try WebhookSignature.verify(header: header, body: Array(Self.body.utf8), secret: "other", toleranceSeconds: 300, now: now)
        }
        #expect(throws: WebhookSignature.Refusal.stale(ageSeconds: 301, toleranceSeconds: 300)) {
            try WebhookSignature.verify(header: header, body: Array(Self.body.utf8), secret: Self.secret, toleranceSeconds: 300,
                                        now: now.addingTimeInterval(301))
        }
        #expect(throws: WebhookSignature.Refusal.malformed) {
            try WebhookSignature.verify(header: "sha256=abc", body: Array(Self.body.utf8), secret: Self.secret, toleranceSeconds: 300)
        }
    }

    @Test(arguments: [(200, true, false), (204, true, false), (429, false, true), (500, false, true), (503, false, true),
                      (400, false, false), (401, false, false), (404, false, false), (410, false, false), (301, false, false)])
    func statusesAreDeliveredRetriedOrGivenUp(status: Int, delivered: Bool, retried: Bool) {
        let response = WebhookResponse(status: status, latency: .milliseconds(3), error: nil)
        #expect(response.isDelivered == delivered)
        #expect(response.isRetryable == retried)
        #expect(WebhookResponse(status: nil, latency: .seconds(1), error: "timed out").isRetryable)
    }
}

/// Retry or give up: the backoff and the retry window, as the sender applies them.
@Suite struct WebhookRetryRuleTests {
    @Test func retriesDoubleUntilTheNextWouldFallOutsideTheWindow() {
        let settings = WebhookSettings(secret: "s", endpoints: [], retryWindow: .seconds(3600),
                                       backoff: BackoffPolicy(initial: .seconds(10), maximum: .seconds(3600)), timeout: .seconds(5))
        let created = Date(timeIntervalSince1970: 1_700_000_000)
        let failure = WebhookResponse(status: 503, latency: .milliseconds(4), error: "HTTP 503")
        #expect(settings.verdict(for: failure, attempt: 1, createdAt: created, now: created) == .retry(at: created.addingTimeInterval(10)))
        #expect(settings.verdict(for: failure, attempt: 3, createdAt: created, now: created.addingTimeInterval(100))
                == .retry(at: created.addingTimeInterval(140)))
        // 3590 s in, the next wait (at least 10 s) would end past the hour: give up.
        #expect(settings.verdict(for: failure, attempt: 1, createdAt: created, now: created.addingTimeInterval(3595)) == .gaveUp)
        #expect(settings.verdict(for: WebhookResponse(status: 404, latency: .zero, error: "HTTP 404"), attempt: 1, createdAt: created,
                                 now: created) == .gaveUp)
        #expect(settings.verdict(for: WebhookResponse(status: 202, latency: .zero, error: nil), attempt: 7, createdAt: created,
                                 now: created.addingTimeInterval(9999)) == .delivered)
    }
}
