import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// SMTP cannot be exactly-once: a sender killed after the server took a mail but before it
/// recorded the mail as sent sends it again after the restart. What vidpipe guarantees is
/// that the copy carries the same Message-ID, so receivers can drop it.
@Suite struct MailCrashWindowTests {
    @Test func aMailResentAfterAKillBetweenSendAndMarkKeepsItsMessageID() async throws {
        let smtp = try ScratchSMTPServer()
        defer { smtp.stop() }
        smtp.holdsReplies = true
        var lake = try TestLake(environment: [
            "SMTP_SERVER": "127.0.0.1", "SMTP_PORT": "\(smtp.port)", "SMTP_SECURITY": "none",
            "EMAIL_RECEIVER": "team@example.com", "VIDPIPE_MISSING_SIDECAR": "ignore",
        ])
        defer { lake.remove() }
        let clip = try lake.distinctClip("clip.mp4")

        // The server has the mail; vidpipe waits for its reply and has not marked it sent.
        let sender = try DaemonProcess(lake, name: "process", arguments: ["process", clip])
        let delivered = try await eventually(within: 60) { try smtp.messageIDs().count == 1 }
        try #require(delivered, "no mail reached the server: \(sender.log.suffix(2000))")
        #expect(try await sender.stop(with: SIGKILL, within: 10) != nil)
        let messageID = try #require(try smtp.messageIDs().first)
        let pending = try lake.query("SELECT id, state FROM notifications")
        #expect(pending.map { $0["state"]?.text } == ["pending"], "\(pending)")
        #expect(pending.first?["id"]?.text == messageID)

        // The restarted daemon's notifier sends what is still pending: the same message.
        smtp.holdsReplies = false
        let daemon = try DaemonProcess(lake)
        let sent = try await eventually(within: 60) {
            try lake.query("SELECT state FROM notifications").map { $0["state"]?.text } == ["sent"]
        }
        #expect(sent, "\(daemon.log.suffix(2000))")
        #expect(try await daemon.stop(within: 20) == 0)
        #expect(try smtp.messageIDs() == [messageID, messageID])
    }
}
