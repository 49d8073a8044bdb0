import Foundation
import Glibc
import VidpipeTestSupport

/// A fleet built by `scripts/cluster`: a servers host (broker, PostgreSQL, S3, SMTP) and
/// worker hosts running `vidpipe run`, each a network namespace. Its own name (`vpt`), so
/// a fleet someone started by hand is not touched; the subnet is the script's.
/// `VIDPIPE_TEST_FLEET_NAME` and `VIDPIPE_TEST_FLEET_SUBNET` (X of X.0/24) change both, so
/// two test runs on one machine can each build a fleet.
///
/// The oracles read the servers directly: `psql` against the catalog, the SMTP server's
/// Maildir, the bucket through curl (``S3Oracle``); the workers' daemon logs say what each started.
struct Fleet {
    /// A request `scripts/cluster send` queued: its id and where the broker put it.
    struct SentRequest: Hashable {
        var requestID: String
        var file: String
        var partition: Int
    }

    static let name = ProcessInfo.processInfo.environment["VIDPIPE_TEST_FLEET_NAME"] ?? "vpt"
    static let subnet = ProcessInfo.processInfo.environment["VIDPIPE_TEST_FLEET_SUBNET"] ?? "10.231.0"
    static let folder = "/var/tmp/vidpipe-cluster-\(name)"
    static let servers = "\(subnet).2"
    static let script = PackageDirectory.path("scripts/cluster")
    /// The bucket `scripts/cluster start` creates: sources under `incoming/`, the lake under `lake/`.
    static let bucket = "fleet"
    static let lake = "s3://fleet/lake"

    /// Namespaces need root and iproute2; `scripts/test` runs as root.
    static let canRun = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    static let shouldRun = canRun || PostgresTestServer.isRequired

    let workers: [String]

    /// Builds the fleet (after removing what an interrupted run left).
    static func start(workers: Int) throws -> Fleet {
        guard canRun else { throw TestEnvironmentError("VIDPIPE_REQUIRE_SERVICES=1 but the fleet needs root and /usr/sbin/ip") }
        try cluster("stop")
        do {
            try cluster("start", String(workers))
        } catch {
            _ = try? cluster("stop")
            throw error
        }
        return Fleet(workers: (1...workers).map { "w\($0)" })
    }

    @discardableResult
    static func cluster(_ arguments: String...) throws -> ToolResult {
        var environment = ProcessInfo.processInfo.environment
        environment["VIDPIPE_CLUSTER_NAME"] = name
        environment["VIDPIPE_CLUSTER_SUBNET"] = subnet
        environment["VIDPIPE_BINARY"] = try VidpipeBinary.path()
        return try CommandLineTool.checked("/bin/bash", [script] + arguments, environment: environment)
    }

    /// Uploads `count` clips and queues a request for each; returns every request sent so far.
    func send(_ count: Int) throws -> [SentRequest] {
        try Self.cluster("send", String(count))
        let lines = try String(contentsOfFile: Self.folder + "/sent.tsv", encoding: .utf8).split(separator: "\n")
        return lines.map { line in
            let fields = line.split(separator: "\t").map(String.init)
            // topic[partition]@offset
            let partition = fields[2].split(separator: "[").last?.split(separator: "]").first.flatMap { Int($0) } ?? -1
            return SentRequest(requestID: fields[0], file: fields[1], partition: partition)
        }
    }

    /// Waits (`scripts/cluster wait`) until every request is recorded and mailed.
    func waitUntilDone(seconds: Int) throws {
        try Self.cluster("wait", String(seconds))
    }

    /// SIGKILLs `worker`'s daemon and waits until it is gone.
    func kill(_ worker: String) throws {
        let text = try String(contentsOfFile: "\(Self.folder)/\(worker)/pid", encoding: .utf8)
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), Glibc.kill(pid, SIGKILL) == 0 else {
            throw TestEnvironmentError("cannot kill \(worker) (pid file: \(text))")
        }
        while Glibc.kill(pid, 0) == 0, (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.contains(") Z ") != true {
            usleep(1000)
        }
    }

    func stop() {
        _ = try? Self.cluster("stop")
    }

    /// Rows of `sql` against the catalog on the servers host, fields split on tabs.
    func catalog(_ sql: String) throws -> [[String]] {
        let result = try CommandLineTool.checked(
            "psql", ["-h", Self.servers, "-p", "5432", "-U", "postgres", "-d", "vidpipe_test", "-X", "-q", "-At", "-F", "\t",
                     "-v", "ON_ERROR_STOP=1", "-c", sql])
        return result.text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// What the SMTP server on the servers host received, every delivery a file.
    var mailbox: Maildir { Maildir(Self.folder + "/servers/mail") }

    /// The request ids whose job `worker` started, from its daemon's log.
    func started(by worker: String) throws -> Set<String> {
        let log = try String(contentsOfFile: "\(Self.folder)/\(worker)/daemon.log", encoding: .utf8)
        return Set(log.split(separator: "\n").filter { $0.contains("job started") }.compactMap { line in
            line.firstMatch(of: /request=([0-9A-Fa-f-]{36})/).map { String($0.output.1) }
        })
    }

    /// The partitions `worker` holds now, from its daemon's log (assigned, revoked, lost).
    func partitions(heldBy worker: String) throws -> Set<Int> {
        let result = try CommandLineTool.checked(
            "/usr/bin/python3", [PackageDirectory.path("scripts/lib/cluster_report.py"), "--held", "\(Self.folder)/\(worker)/daemon.log"])
        return Set(result.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) })
    }

    /// The servers host's store as curl sees it, with the keys `scripts/cluster start` wrote.
    func store() throws -> S3Oracle {
        let line = try String(contentsOfFile: Self.folder + "/s3.env", encoding: .utf8)
        let pairs = line.split(whereSeparator: \.isWhitespace).compactMap { item -> (String, String)? in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
        return S3Oracle(variables: Dictionary(pairs, uniquingKeysWith: { _, last in last }))
    }

    /// Files under `worker`'s scratch folder.
    func scratchFiles(of worker: String) -> [String] {
        let scratch = "\(Self.folder)/\(worker)/scratch"
        return (FileManager.default.enumerator(atPath: scratch)?.allObjects as? [String] ?? []).filter { relative in
            var directory: ObjCBool = false
            return FileManager.default.fileExists(atPath: scratch + "/" + relative, isDirectory: &directory) && !directory.boolValue
        }
    }
}
