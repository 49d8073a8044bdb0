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
}

/// Waits up to 5 s for a message holding `messageID` to appear in `maildir`/new and returns its bytes.
///
/// - Throws: ``TestEnvironmentError`` when none arrives.
public func deliveredMessage(withID messageID: String, in maildir: String) async throws -> Data {
    let folder = maildir + "/new"
    for _ in 0..<100 {
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            if let data = FileManager.default.contents(atPath: folder + "/" + name),
               data.range(of: Data(messageID.utf8)) != nil {
                return data
            }
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestEnvironmentError("no message \(messageID) in \(folder)")
}
