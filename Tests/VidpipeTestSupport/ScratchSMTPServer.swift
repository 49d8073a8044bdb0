import Foundation

/// A private aiosmtpd server of one test (Debian's python3-aiosmtpd) delivering to a
/// Maildir, for what the shared ``SMTPTestServer`` cannot show: AUTH, STARTTLS, implicit TLS,
/// refused recipients (`reject…` gets 550, `later…` 451), an outage. It can be stopped and
/// started again on the same port and Maildir.
///
/// AUTH over plain text needs `auth_require_tls=False`, which the aiosmtpd CLI cannot set,
/// hence the script.
public final class ScratchSMTPServer {
    /// How clients reach it.
    public enum Security: String, Sendable {
        /// Plain SMTP.
        case none
        /// STARTTLS, required before mail.
        case starttls
        /// Implicit TLS (SMTPS).
        case smtps
    }

    /// The only account, when `requireAuth` is set.
    public static let user = "vidpipe"
    /// The account's password.
    public static let password = "s3cret pass"

    /// The port on 127.0.0.1, fixed for the server's life (also across ``stop()`` and ``start()``).
    public let port: Int
    /// The Maildir mail is delivered to (`folder/mail`).
    public let maildir: String
    /// The folder holding the Maildir, the script, its log and the certificate.
    public let folder: String
    private let security: Security
    private let requireAuth: Bool
    private var process: Process?

    /// - Parameters:
    ///   - port: 0 picks a free one.
    ///   - folder: reuse a stopped server's folder to get its Maildir and certificate.
    ///   - started: false creates the server stopped, to be started later with ``start()``.
    public init(security: Security = .none, requireAuth: Bool = false, port: Int = 0, folder: String? = nil, started: Bool = true) throws {
        let folder = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-smtp-\(UUID().uuidString)").path
        self.folder = folder
        self.security = security
        self.requireAuth = requireAuth
        maildir = folder + "/mail"
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: maildir + "/" + sub, withIntermediateDirectories: true)
        }
        try Self.script.write(toFile: folder + "/server.py", atomically: true, encoding: .utf8)
        if security != .none, !FileManager.default.fileExists(atPath: folder + "/cert.pem") {
            try Self.makeCertificate(in: folder)
        }
        self.port = port != 0 ? port : try Self.freePort()
        if started { try start() }
    }

    /// The server's self-signed certificate (for 127.0.0.1), when it uses TLS.
    public var certificate: String { folder + "/cert.pem" }

    /// Starts the server and waits until it accepts connections.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [folder + "/server.py", security.rawValue, requireAuth ? "auth" : "open", String(port), maildir,
                             folder + "/cert.pem", folder + "/key.pem"]
        let output = Pipe()
        process.standardOutput = output
        _ = FileManager.default.createFile(atPath: folder + "/server.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: folder + "/server.log")
        try process.run()
        self.process = process
        // The script prints the port once it accepts connections; read byte by byte up to the newline.
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.last != UInt8(ascii: "\n") {
            guard read(output.fileHandleForReading.fileDescriptor, &byte, 1) == 1 else {
                throw TestEnvironmentError("the scratch SMTP server exited before it was ready: see \(folder)/server.log")
            }
            line.append(byte)
        }
        guard Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) == port else {
            throw TestEnvironmentError("the scratch SMTP server printed \(String(decoding: line, as: UTF8.self))")
        }
    }

    /// Stops the server, if it runs; the Maildir stays.
    public func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// While true, the server stores each mail it receives but holds back its reply to the
    /// message (the final `250`): the client cannot tell that the mail arrived. For the
    /// window between a mail's delivery and its sender recording it.
    public var holdsReplies: Bool {
        get { FileManager.default.fileExists(atPath: holdFlag) }
        set {
            if newValue { _ = FileManager.default.createFile(atPath: holdFlag, contents: nil) }
            else { try? FileManager.default.removeItem(atPath: holdFlag) }
        }
    }

    private var holdFlag: String { folder + "/hold-replies" }

    /// The Message-ID header of every received mail, once per delivery.
    public func messageIDs() throws -> [String] {
        try Maildir(maildir).messageIDs()
    }

    deinit { stop() }

    /// A port nothing listens on now, from the kernel.
    private static func freePort() throws -> Int {
        let script = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
        let found = try CommandLineTool.checked("/usr/bin/python3", ["-c", script]).text
        guard let port = Int(found.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestEnvironmentError("no free port: python3 printed \(found)")
        }
        return port
    }

    private static func makeCertificate(in folder: String) throws {
        try CommandLineTool.checked("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem",
        ])
    }

    private static let script = #"""
    import asyncio, os, signal, socket, ssl, sys, threading
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

        async def handle_DATA(self, server, session, envelope):
            reply = await super().handle_DATA(server, session, envelope)
            # The mail is stored; while the hold flag exists the client gets no reply.
            while os.path.exists(os.path.join(os.path.dirname(maildir), "hold-replies")):
                await asyncio.sleep(0.05)
            return reply

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
