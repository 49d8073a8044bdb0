import Notifications
import Testing

@testable import VidpipeConfiguration

/// `SMTP_*` variables as the executable reads them.
@Suite struct SMTPVariablesTests {
    @Test func readsTheOriginalVariablesAndHidesThePassword() throws {
        let settings = try #require(try read([
            "SMTP_SERVER": "mail.example.com", "SMTP_PORT": "465", "SMTP_USER": "bot", "SMTP_PASSWORD": "hunter2",
        ]))
        #expect(settings.security == .tls)
        #expect(settings.url == "smtps://mail.example.com:465")
        #expect(settings.username == "bot")
        #expect(settings.password == "hunter2")
        #expect(settings.description == "SMTPSettings(smtps://mail.example.com:465 tls user bot password ***)")
        #expect(!String(reflecting: settings).contains("hunter2"))

        let submission = try #require(try read(["SMTP_SERVER": "mail.example.com"]))
        #expect(submission.port == 587)
        #expect(submission.security == .starttls)
        #expect(try read([:]) == nil)
        #expect(throws: ConfigurationError.self) { try read(["SMTP_SERVER": "m", "SMTP_PORT": "smtp"]) }
        #expect(throws: ConfigurationError.self) { try read(["SMTP_SERVER": "m", "SMTP_SECURITY": "ssl"]) }
    }

    private func read(_ values: [String: String]) throws -> SMTPSettings? {
        try SMTPSettings.fromVariables(VariableReader(values: values))
    }
}
