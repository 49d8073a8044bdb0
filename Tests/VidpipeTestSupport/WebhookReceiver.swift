import Foundation

/// `scripts/webhook-receiver` run as a test's endpoint: a real HTTP server that checks each
/// request's signature in Python (an oracle independent of vidpipe's Swift code) and logs
/// every request it gets, so tests count deliveries where they arrive.
public final class WebhookReceiver: @unchecked Sendable {
    /// One request as the receiver saw it.
    public struct Request: Decodable, Sendable {
        public var number: Int
        /// The HTTP method (a followed redirect may turn a POST into a GET).
        public var method: String?
        public var status: Int
        public var signature: String?
        /// Why the signature was refused (`malformed`, `mismatch`, `stale`); nil when good.
        public var refusal: String?
        public var eventID: String?
        public var event: String?
        public var body: String

        enum CodingKeys: String, CodingKey {
            case number, method, status, signature, refusal, eventID = "event_id", event, body
        }
    }

    public let port: Int
    public let logPath: String
    /// Whether it serves https (started with `--cert`).
    public let isTLS: Bool
    private let process = Process()

    /// Starts a receiver (on `port`, or a free one) that answers with the fault `options`
    /// (`["--fail-first", "1"]`, …; `--cert`/`--key` for https) and logs to `logPath`, which
    /// survives restarts.
    public init(secret: String, logPath: String, port: Int = 0, options: [String] = []) throws {
        self.logPath = logPath
        isTLS = options.contains("--cert")
        let portFile = logPath + ".port-\(UUID().uuidString.prefix(6))"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [PackageDirectory.path("scripts/webhook-receiver"), "--port", "\(port)", "--port-file", portFile,
                             "--log", logPath] + options
        process.environment = ["VIDPIPE_WEBHOOK_SECRET": secret, "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: portFile) {
            guard Date() < deadline, process.isRunning else {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                throw TestEnvironmentError("scripts/webhook-receiver did not start on port \(port)")
            }
            usleep(20_000)
        }
        self.port = Int(try String(contentsOfFile: portFile, encoding: .utf8)) ?? 0
        try? FileManager.default.removeItem(atPath: portFile)
    }

    public var url: String { "\(isTLS ? "https" : "http")://127.0.0.1:\(port)/hooks" }

    /// Every request received so far, in arrival order.
    public func requests() throws -> [Request] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Requests the receiver accepted (answered 2xx).
    public func accepted() throws -> [Request] { try requests().filter { (200..<300).contains($0.status) } }

    /// Stops it with SIGKILL: a child of the test runner may inherit SIGTERM blocked.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
