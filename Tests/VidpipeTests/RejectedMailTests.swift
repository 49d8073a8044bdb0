import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// The mail a rejected job sends, as the real SMTP server (aiosmtpd) received it and
/// Python's `email` package reads it: who it went to, the subject naming the file, and the
/// body naming the file, the error code and the reason.
@Suite(.enabled(if: SMTPTestServer.shouldRun, "VIDPIPE_TEST_SMTP is not set (scripts/services/smtp start)"))
struct RejectedMailTests {
    @Test func rejectedJobMailsItsErrorCodeAndFile() throws {
        let recipient = SMTPTestServer.uniqueRecipient("rejects")
        let lake = try TestLake(environment: try SMTPTestServer.mailEnvironment(to: recipient))
        defer { lake.remove() }
        let upload = lake.incoming + "/truncated_upload.mp4"
        try Clip.truncated(upload, moovAtFront: false)

        let (status, report) = try lake.process([upload])
        #expect(status == 1)
        let job = try #require(report.jobs.first)
        #expect(job.errorCode == "missing_movie_index")

        let received = try Maildir.shared().mails(to: recipient)
        #expect(received.deliveriesPerMessageID == [job.requestId.map { "<\($0).rejected@vidpipe>" } ?? "?": 1], "\(received.map(\.headers))")
        let mail = try PythonEmail.parse(try #require(received.first).path)
        #expect(mail.to == recipient)
        #expect(mail.kind == "rejected")
        #expect(mail.subject == "[vidpipe] Rejected: truncated_upload.mp4")
        #expect(mail.defects.isEmpty, "\(mail.defects)")
        let lines = Dictionary(mail.text.split(separator: "\n").compactMap { line -> (String, String)? in
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1].trimmingCharacters(in: .whitespaces)) : nil
        }) { first, _ in first }
        #expect(lines["File"] == upload, "\(mail.text)")
        #expect(lines["State"] == "rejected", "\(mail.text)")
        #expect(lines["Error"] == "missing_movie_index", "\(mail.text)")
        #expect(lines["Job"] == job.jobId, "\(mail.text)")
        #expect(lines["Reason"]?.contains("truncated_upload.mp4") == true, "\(mail.text)")
        #expect(try lake.query("SELECT kind, state FROM notifications").map { "\($0["kind"]?.text ?? "") \($0["state"]?.text ?? "")" }
                == ["rejected sent"])
    }
}
