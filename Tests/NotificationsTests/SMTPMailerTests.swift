import Foundation
import Testing
import VidpipeTestSupport
@testable import Notifications

@Suite("SMTPMailer", .enabled(if: SMTPTestServer.shouldRun, Comment(rawValue: SMTPTestServer.skipReason)))
struct SMTPMailerTests {
    private func message(to recipients: [String] = ["ops@example.com"], id: String = "<\(UUID().uuidString).ready@vidpipe>") throws -> EmailMessage {
        try EmailMessage(
            from: EmailAddress("pipeline@vidpipe.example", displayName: "vidpipe"),
            to: recipients.map { try EmailAddress($0) }, subject: "Ready: clip ✓ über alles",
            date: Date(timeIntervalSince1970: 1_700_000_000), messageID: id,
            // A line starting with a dot: SMTP must dot-stuff it and the server unstuff it.
            textBody: "Verdict: pass\n.hidden line\nRenditions: 720p, 360p\n",
            htmlBody: "<p>Verdict: <b>pass</b></p>\n",
            headers: [EmailHeader(name: "X-Vidpipe-Job", value: "job-1")]
        )
    }

    private func settings(port: Int, host: String = "127.0.0.1", security: SMTPSettings.Security = .none,
                          user: String? = nil, password: String? = nil, ca: String? = nil) -> SMTPSettings {
        SMTPSettings(server: host, port: port, security: security, username: user, password: password,
                     caCertificatePath: ca, connectTimeout: .seconds(3), totalTimeout: .seconds(10))
    }

    @Test func multipartMessageArrivesIntactThroughAiosmtpd() async throws {
        let server = try SMTPTestServer.hostAndPort()
        // Opportunistic STARTTLS against a server without TLS falls back to plain SMTP.
        let mailer = SMTPMailer(settings: settings(port: server.port, host: server.host, security: .starttlsIfOffered))
        let sent = try message(to: ["ops@example.com", "Editor.Two@example.org"])
        let delivery = try await mailer.send(sent)
        #expect(delivery == MailDelivery(messageID: sent.messageID, destination: "smtp://\(server.host):\(server.port)",
                                         wasAlreadyDelivered: false))

        let parsed = try parseWithPython(try await deliveredMessage(withID: sent.messageID, in: server.maildir))
        #expect(parsed.defects == [])
        #expect(parsed.subject == sent.subject)
        #expect(parsed.messageID == sent.messageID)
        #expect(parsed.from == [.init(name: "vidpipe", address: "pipeline@vidpipe.example")])
        #expect(parsed.to.map(\.address) == ["ops@example.com", "Editor.Two@example.org"])
        #expect(parsed.contentType == "multipart/alternative")
        #expect(parsed.text == sent.textBody)
        #expect(parsed.html == sent.htmlBody)
        #expect(parsed.extraHeaders["X-Vidpipe-Job"] == "job-1")
        // The envelope, as aiosmtpd's handler recorded it.
        #expect(parsed.extraHeaders["X-MailFrom"] == "pipeline@vidpipe.example")
        #expect(parsed.extraHeaders["X-RcptTo"] == "ops@example.com, Editor.Two@example.org")
    }

    @Test func aStoppedServerGivesARetryableErrorAndMailFlowsOnceItIsBack() async throws {
        let first = try ScratchSMTPServer()
        let mailer = SMTPMailer(settings: settings(port: first.port))
        _ = try await mailer.send(try message())
        first.stop()

        let error = await #expect(throws: MailError.self) { try await mailer.send(try message()) }
        #expect(error?.code == .smtpUnavailable)
        #expect(error?.isRetryable == true)

        let again = try ScratchSMTPServer(port: first.port, folder: first.folder)
        defer { again.stop() }
        let delayed = try message()
        _ = try await mailer.send(delayed)
        _ = try await deliveredMessage(withID: delayed.messageID, in: again.maildir)
    }

    @Test func credentialsAreSentAndAccepted() async throws {
        let server = try ScratchSMTPServer(requireAuth: true)
        defer { server.stop() }
        let mailer = SMTPMailer(settings: settings(port: server.port, user: ScratchSMTPServer.user, password: ScratchSMTPServer.password))
        let sent = try message()
        _ = try await mailer.send(sent)
        let parsed = try parseWithPython(try await deliveredMessage(withID: sent.messageID, in: server.maildir))
        #expect(parsed.extraHeaders["X-Authenticated-As"] == ScratchSMTPServer.user)

        let wrong = SMTPMailer(settings: settings(port: server.port, user: ScratchSMTPServer.user, password: "nope"))
        let refused = await #expect(throws: MailError.self) { try await wrong.send(try message()) }
        #expect(refused?.code == .smtpAuthenticationFailed)
        #expect(refused?.isRetryable == false)
        #expect(refused?.message.contains("nope") == false)

        let anonymous = SMTPMailer(settings: settings(port: server.port))
        let unauthenticated = await #expect(throws: MailError.self) { try await anonymous.send(try message()) }
        #expect(unauthenticated?.code == .smtpRejected)
        #expect(unauthenticated?.isRetryable == false)
    }

    @Test func starttlsUpgradesBeforeAuth() async throws {
        let server = try ScratchSMTPServer(security: .starttls, requireAuth: true)
        defer { server.stop() }
        let mailer = SMTPMailer(settings: settings(port: server.port, security: .starttls, user: ScratchSMTPServer.user,
                                                   password: ScratchSMTPServer.password, ca: server.certificate))
        let sent = try message()
        _ = try await mailer.send(sent)
        let parsed = try parseWithPython(try await deliveredMessage(withID: sent.messageID, in: server.maildir))
        #expect(parsed.extraHeaders["X-TLS"] == "yes")
        #expect(parsed.extraHeaders["X-Authenticated-As"] == ScratchSMTPServer.user)

        // Without the test CA the self-signed certificate does not verify.
        let untrusting = SMTPMailer(settings: settings(port: server.port, security: .starttls))
        let error = await #expect(throws: MailError.self) { try await untrusting.send(try message()) }
        #expect(error?.code == .smtpTLSFailed)
        #expect(error?.isRetryable == false)
    }

    @Test func implicitTLS() async throws {
        let server = try ScratchSMTPServer(security: .smtps, requireAuth: true)
        defer { server.stop() }
        let mailer = SMTPMailer(settings: settings(port: server.port, security: .tls, user: ScratchSMTPServer.user,
                                                   password: ScratchSMTPServer.password, ca: server.certificate))
        #expect(mailer.settings.url == "smtps://127.0.0.1:\(server.port)")
        let sent = try message()
        _ = try await mailer.send(sent)
        let parsed = try parseWithPython(try await deliveredMessage(withID: sent.messageID, in: server.maildir))
        #expect(parsed.extraHeaders["X-TLS"] == "yes")
    }

    @Test func requiredStarttlsIsNeverSkipped() async throws {
        let server = try ScratchSMTPServer()
        defer { server.stop() }
        let mailer = SMTPMailer(settings: settings(port: server.port, security: .starttls))
        let error = await #expect(throws: MailError.self) { try await mailer.send(try message()) }
        #expect(error?.code == .smtpTLSFailed)
        #expect(error?.isRetryable == false)
    }

    @Test func recipientRejectionsArePermanentFor5xxAndRetryableFor4xx() async throws {
        let server = try ScratchSMTPServer()
        defer { server.stop() }
        let mailer = SMTPMailer(settings: settings(port: server.port))
        let permanent = await #expect(throws: MailError.self) { try await mailer.send(try message(to: ["reject@example.com"])) }
        #expect(permanent?.code == .smtpRejected)
        #expect(permanent?.isRetryable == false)
        #expect(permanent?.message.contains("550") == true)
        let transient = await #expect(throws: MailError.self) { try await mailer.send(try message(to: ["later@example.com"])) }
        #expect(transient?.code == .smtpRejected)
        #expect(transient?.isRetryable == true)
    }
}
