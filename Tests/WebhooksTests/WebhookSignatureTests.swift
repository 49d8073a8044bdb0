import Foundation
import Testing
import VidpipeTestSupport

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
