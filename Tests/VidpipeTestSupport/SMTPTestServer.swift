import Foundation

/// The shared SMTP server the tests use: `VIDPIPE_TEST_SMTP` (host:port) and
/// `VIDPIPE_TEST_MAILDIR`, from `scripts/services/smtp start`.
///
/// Without them the SMTP tests are skipped, unless `VIDPIPE_REQUIRE_SERVICES=1` says the run
/// must cover them: then they run and fail loudly at ``hostAndPort()``.
public enum SMTPTestServer {
    static let environment = ProcessInfo.processInfo.environment
    /// `host:port`, when the environment names it.
    public static let address = environment["VIDPIPE_TEST_SMTP"].flatMap { $0.isEmpty ? nil : $0 }
    /// The Maildir the server delivers to, when the environment names it.
    public static let maildir = environment["VIDPIPE_TEST_MAILDIR"].flatMap { $0.isEmpty ? nil : $0 }
    /// Whether SMTP tests run: a server is configured, or the services are required.
    public static let shouldRun = (address != nil && maildir != nil) || environment["VIDPIPE_REQUIRE_SERVICES"] == "1"
    /// Why SMTP tests are skipped when ``shouldRun`` is false.
    public static let skipReason = "set VIDPIPE_TEST_SMTP and VIDPIPE_TEST_MAILDIR (scripts/services/smtp start) to run the SMTP tests"

    /// The configured server and its Maildir.
    ///
    /// - Throws: ``TestEnvironmentError`` when the variables are missing or malformed.
    public static func hostAndPort() throws -> (host: String, port: Int, maildir: String) {
        guard let address, let maildir, let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw TestEnvironmentError("VIDPIPE_TEST_SMTP (host:port) and VIDPIPE_TEST_MAILDIR must be set: run scripts/services/smtp start")
        }
        return (String(address[..<colon]), port, maildir)
    }

    /// A recipient address no other test uses, to tell one test's mail in the shared Maildir.
    public static func uniqueRecipient(_ prefix: String = "team") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
    }

    /// The variables that make vidpipe mail every job to `recipient` through this server
    /// (plain SMTP), instead of the `.eml` outbox, whose files are named by Message-ID and so
    /// cannot show a mail sent twice.
    ///
    /// - Throws: ``TestEnvironmentError`` when the server is not configured.
    public static func mailEnvironment(to recipient: String) throws -> [String: String] {
        let server = try hostAndPort()
        return ["SMTP_SERVER": server.host, "SMTP_PORT": String(server.port), "SMTP_SECURITY": "none", "EMAIL_RECEIVER": recipient]
    }
}

/// Waits up to 5 s for a message with the Message-ID `messageID` to appear in `maildir`
/// and returns its bytes.
///
/// - Throws: ``TestEnvironmentError`` when none arrives.
public func deliveredMessage(withID messageID: String, in maildir: String) async throws -> Data {
    var found: Maildir.Mail?
    try await waitUntil("message \(messageID) in \(maildir)/new", timeout: .seconds(5), every: .milliseconds(50)) {
        found = try Maildir(maildir).all().first { $0.messageID == messageID }
        return found != nil
    }
    return try Data(contentsOf: URL(fileURLWithPath: found!.path))
}
