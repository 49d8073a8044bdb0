import Foundation
import Testing
import VidpipeTestSupport

/// `vidpipe run` under a `Type=notify` unit (deploy/vidpipe.service): it tells systemd
/// READY=1 once intake runs and STOPPING=1 when SIGTERM starts the shutdown, on the socket
/// in `NOTIFY_SOCKET`. Python's socket module plays systemd's side, so the daemon's address
/// encoding is checked by another implementation.
@Suite struct SystemdNotifyTests {
    /// A socket path, and an abstract one (`@name`, as systemd's test harnesses use).
    @Test(arguments: [false, true])
    func daemonTellsSystemdWhenItIsReadyAndWhenItStops(abstract: Bool) async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let address = abstract ? "@vidpipe-notify-\(UUID().uuidString.prefix(8))" : lake.scratch.path("notify.sock")
        let systemd = try NotifySocketListener(address: address, folder: lake.scratch, watching: lake.inbox)
        let daemon = try DaemonProcess(lake, environment: ["NOTIFY_SOCKET": address])

        let ready = try await eventually(within: 20, every: .milliseconds(5)) { try systemd.messages().contains("READY=1") }
        let received = try systemd.messages()
        #expect(ready, "no READY=1 on \(address); got \(received); log: \(daemon.log)")
        guard ready else { return }
        // Ready means intake runs: the inbox existed when READY=1 arrived (checked by the
        // listener on receipt, not after this test's polling delay), the catalog is migrated.
        #expect(try systemd.watchedPathExistedAtReady() == true)
        #expect(try !lake.query("SELECT version FROM schema_migrations").isEmpty)
        #expect(try !systemd.messages().contains("STOPPING=1"), "STOPPING=1 before any shutdown: \(received)")

        // systemd may stop the unit the moment it is ready: SIGTERM must already find the
        // daemon's handler (no handler yet would kill it with status 15).
        let status = try await daemon.stop(within: 20)
        #expect(status == 0, "log: \(daemon.log)")
        // The listener may write the last datagram a moment after the daemon exits.
        _ = try await eventually(within: 5) { try systemd.messages().contains("STOPPING=1") }
        let messages = try systemd.messages()
        #expect(messages.filter { $0 == "READY=1" }.count == 1)
        let stopping = messages.firstIndex(of: "STOPPING=1")
        #expect(stopping != nil && stopping! > messages.firstIndex(of: "READY=1")!, "\(messages)")
    }
}

/// systemd's end of `NOTIFY_SOCKET`: a Python process bound to a unix datagram socket that
/// writes each assignment it receives (`READY=1`, `STATUS=…`) as a line to a file, and on
/// receiving READY=1 notes at once whether a watched path exists.
private final class NotifySocketListener {
    private let process = Process()
    private let output: String

    private static let script = """
    import os, socket, sys
    address, watched = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\\0" + address[1:] if address.startswith("@") else address)
    print("bound", flush=True)
    while True:
        lines = s.recv(4096).decode().split("\\n")
        if "READY=1" in lines:
            print(f"# watched path existed at READY: {os.path.exists(watched)}", flush=True)
        for line in lines:
            print(line, flush=True)
    """

    init(address: String, folder: ScratchDirectory, watching watched: String) throws {
        output = folder.path("notify-\(UUID().uuidString.prefix(4)).txt")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, address, watched]
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: output)
        try process.run()
        try awaitBound()
    }

    private func awaitBound() throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, process.isRunning {
            if try lines().first == "bound" { return }
            usleep(10_000)
        }
        throw TestEnvironmentError("the python3 notify socket did not bind: \(try lines())")
    }

    private func lines() throws -> [String] {
        try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The assignments received so far, in order.
    func messages() throws -> [String] { try lines().dropFirst().filter { !$0.hasPrefix("#") } }

    /// Whether the watched path existed when READY=1 arrived; nil before it arrived.
    func watchedPathExistedAtReady() throws -> Bool? {
        try lines().first { $0.hasPrefix("# watched path existed at READY: ") }.map { $0.hasSuffix("True") }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// The same in Kafka mode: READY=1 once the consumer runs, and a request sent after it is
/// processed; STOPPING=1 on SIGTERM.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && SMTPTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA or VIDPIPE_TEST_SMTP is not set (scripts/services/kafka start, scripts/services/smtp start)"))
struct SystemdNotifyKafkaTests {
    @Test func kafkaDaemonIsReadyWhenItConsumes() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let address = service.lake.scratch.path("notify.sock")
        let systemd = try NotifySocketListener(address: address, folder: service.lake.scratch, watching: service.lake.catalog)
        let daemon = try DaemonProcess(service, environment: ["NOTIFY_SOCKET": address])

        let ready = try await eventually(within: 30, every: .milliseconds(5)) { try systemd.messages().contains("READY=1") }
        #expect(ready, "no READY=1; log: \(daemon.log)")
        guard ready else { return }
        #expect(try systemd.watchedPathExistedAtReady() == true, "the catalog was not open at READY=1")
        #expect(try daemon.readLog().contains("consuming requests"))
        let clip = try service.clip("after-ready.mp4")
        try service.oracle.produce(service.requests, key: "after-ready", value: ServiceLake.request(id: "after-ready", path: clip))
        let processed = try await service.oracle.waitForMessages(service.processed, count: 1, within: 60)
        #expect(processed.map(\.key) == ["after-ready"], "\(daemon.log)")

        #expect(try await daemon.stop(within: 30) == 0, "\(daemon.log)")
        #expect(try await eventually(within: 5) { try systemd.messages().contains("STOPPING=1") })
        #expect(try systemd.messages().filter { $0 == "READY=1" }.count == 1)
    }
}
