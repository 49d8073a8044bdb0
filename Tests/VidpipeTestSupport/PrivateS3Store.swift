import Foundation

/// An S3 store of one suite's own (SeaweedFS from `scripts/services/s3`, on its own ports) that
/// a test can kill with SIGKILL mid-transfer and start again on the same data, as a crash
/// and a restart would. Never the shared store of ``S3TestServer``: killing that one would
/// break every other S3 test running at the time.
public final class PrivateS3Store: @unchecked Sendable {
    /// The S3 port; the script takes the three after it and adds 10000 for gRPC.
    public let port: Int
    /// `AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`.
    public private(set) var variables: [String: String] = [:]
    private static let script = PackageDirectory.path("scripts/services/s3")
    private var pidFile: String { PackageDirectory.path(".deps/run/s3-\(port).pid") }

    /// Starts a fresh store on `port`: 100 above the shared test store's by default, which
    /// keeps clear of its ports however the run chose them.
    public init(port: Int? = nil) throws {
        let shared = try S3TestServer.variables()["AWS_ENDPOINT_URL"].flatMap { URL(string: $0)?.port } ?? 18333
        self.port = port ?? shared + 100
        try run("stop")  // leftovers of an earlier run that was killed
        // The previous test's server may hold the port for a moment after it stopped.
        for _ in 0..<60 {
            if let line = try? run("start") { variables = Self.parse(line); return }
            usleep(500_000)
        }
        variables = Self.parse(try run("start"))
    }

    /// Kills the server with SIGKILL and returns once the process is gone.
    public func kill() throws {
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let pid = pid_t(text) else { throw TestEnvironmentError("no SeaweedFS pid in \(pidFile)") }
        Foundation.kill(pid, SIGKILL)
        for _ in 0..<200 where Self.isRunning(pid) { usleep(50_000) }
    }

    /// Alive and not a zombie. The killed server's parent (the start script) is gone and
    /// this machine's PID 1 reaps nobody, so the dead server stays a zombie for good and
    /// `kill(pid, 0)` keeps succeeding: waiting on that alone never ends.
    private static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// Starts the killed server again on the same data, without waiting: the script returns
    /// once the S3 API answers, which on this machine takes from 2 to 30 s.
    public func restartInBackground() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = Self.withoutInheritedFiles("start")
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        // Kept for a failing test's reader: why the store did not come back.
        let log = PackageDirectory.path(".deps/run/s3-\(port).restart.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log) ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Stops the server and deletes its data.
    public func stop() {
        _ = try? run("stop")
    }

    deinit { stop() }

    @discardableResult
    private func run(_ command: String) throws -> String {
        try CommandLineTool.checked("/bin/bash", Self.withoutInheritedFiles(command), environment: environment).text
    }

    private var environment: [String: String] { ProcessInfo.processInfo.environment.merging(["VIDPIPE_S3_PORT": "\(port)"]) { _, new in new } }

    /// The script, run by a shell that first closes every descriptor above stderr: the server
    /// it leaves running would otherwise hold this process's pipes open, and waiting for the
    /// script would never end.
    private static func withoutInheritedFiles(_ command: String) -> [String] {
        ["-c", "for fd in /proc/$$/fd/*; do n=${fd##*/}; [ \"$n\" -gt 2 ] && eval \"exec $n>&-\" 2>/dev/null; done; exec \"$0\" \"$1\"",
         script, command]
    }

    private static func parse(_ line: String) -> [String: String] {
        var variables: [String: String] = [:]
        for pair in line.split(whereSeparator: \.isWhitespace) {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            variables[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return variables
    }
}
