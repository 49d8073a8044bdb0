import Foundation
import Testing

/// The SMTP server the tests use: `VIDPIPE_TEST_SMTP` (host:port) and `VIDPIPE_TEST_MAILDIR`,
/// from `scripts/services/smtp start`. With `VIDPIPE_REQUIRE_SERVICES=1` the tests run, and
/// fail loudly, even when they are missing.
enum SMTPTestServer {
    static let environment = ProcessInfo.processInfo.environment
    static let address = environment["VIDPIPE_TEST_SMTP"].flatMap { $0.isEmpty ? nil : $0 }
    static let maildir = environment["VIDPIPE_TEST_MAILDIR"].flatMap { $0.isEmpty ? nil : $0 }
    static let shouldRun = (address != nil && maildir != nil) || environment["VIDPIPE_REQUIRE_SERVICES"] == "1"
    static let skipReason: Comment = "set VIDPIPE_TEST_SMTP and VIDPIPE_TEST_MAILDIR (scripts/services/smtp start) to run the SMTP tests"

    static func hostAndPort() throws -> (host: String, port: Int, maildir: String) {
        guard let address, let maildir, let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw SMTPTestFailure("VIDPIPE_TEST_SMTP (host:port) and VIDPIPE_TEST_MAILDIR must be set: run scripts/services/smtp start")
        }
        return (String(address[..<colon]), port, maildir)
    }
}

struct SMTPTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits up to 5 s for a message holding `messageID` to appear in `maildir`/new and returns its bytes.
func deliveredMessage(withID messageID: String, in maildir: String) async throws -> Data {
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
    throw SMTPTestFailure("no message \(messageID) in \(folder)")
}

/// A private aiosmtpd server started by one test (Debian's python3-aiosmtpd), for what the
/// shared server cannot show: AUTH, STARTTLS, implicit TLS, refused recipients, an outage.
///
/// AUTH over plain text needs `auth_require_tls=False`, which the aiosmtpd CLI cannot set.
final class ScratchSMTPServer {
    enum Security: String { case none, starttls, smtps }

    static let user = "vidpipe"
    static let password = "s3cret pass"

    let port: Int
    let maildir: String
    let folder: String
    private let process: Process

    /// - Parameter port: 0 picks a free one.
    init(security: Security = .none, requireAuth: Bool = false, port: Int = 0, folder: String? = nil) throws {
        let folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-smtp-\(UUID().uuidString)").path
        self.folder = folder
        maildir = folder + "/mail"
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: maildir + "/" + sub, withIntermediateDirectories: true)
        }
        let script = folder + "/server.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        if security != .none, !FileManager.default.fileExists(atPath: folder + "/cert.pem") {
            try Self.makeCertificate(in: folder)
        }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, security.rawValue, requireAuth ? "auth" : "open", String(port), maildir,
                             folder + "/cert.pem", folder + "/key.pem"]
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: folder + "/server.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: folder + "/server.log")
        try process.run()
        // The script prints the port once it accepts connections; read byte by byte up to the newline.
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.last != UInt8(ascii: "\n") {
            guard read(output.fileHandleForReading.fileDescriptor, &byte, 1) == 1 else {
                throw SMTPTestFailure("the scratch SMTP server exited before it was ready: see \(folder)/server.log")
            }
            line.append(byte)
        }
        guard let ready = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SMTPTestFailure("the scratch SMTP server printed \(String(decoding: line, as: UTF8.self))")
        }
        self.port = ready
    }

    var certificate: String { folder + "/cert.pem" }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { stop() }
    }

    private static func makeCertificate(in folder: String) throws {
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { throw SMTPTestFailure("openssl could not make a certificate") }
    }

    private static let script = #"""
    import signal, socket, ssl, sys, threading
    # Foundation's Process passes on the test thread's blocked signals: unblock SIGTERM so
    # terminate() ends the server.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox
    from aiosmtpd.smtp import AuthResult, LoginPassword

    security, auth, port, maildir, cert, key = sys.argv[1:7]
    port = int(port)
    if port == 0:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()

    class Handler(Mailbox):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("reject"):
                return "550 5.1.1 no such user"
            if address.startswith("later"):
                return "451 4.3.0 try again later"
            envelope.rcpt_tos.append(address)
            # STARTTLS sets session.ssl; implicit TLS shows only on the transport.
            session.tls_seen = server.transport.get_extra_info("ssl_object") is not None
            return "250 OK"

        def prepare_message(self, session, envelope):
            message = super().prepare_message(session, envelope)
            data = getattr(session, "auth_data", None)
            message["X-Authenticated-As"] = data.login.decode() if isinstance(data, LoginPassword) else ""
            message["X-TLS"] = "yes" if getattr(session, "tls_seen", False) else "no"
            return message

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"vidpipe" and auth_data.password == b"s3cret pass"
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    context = None
    if security != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
    options = dict(authenticator=authenticator, auth_required=(auth == "auth"), auth_require_tls=False)
    if security == "starttls":
        options.update(tls_context=context, require_starttls=True)
    controller = Controller(Handler(maildir), hostname="127.0.0.1", port=port,
                            ssl_context=context if security == "smtps" else None, **options)
    controller.start()
    print(port, flush=True)
    threading.Event().wait()
    """#
}
