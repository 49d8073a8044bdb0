import Foundation
import Synchronization

/// The test server's processes stopped with SIGSTOP. The kernel still completes TCP
/// handshakes on its port, but nothing answers: a hung server, not a down one. ``thaw()``
/// (or deinit) lets them run again.
public final class FrozenPostgres: Sendable {
    private let postmaster: Int32
    private let children: [(pid: Int32, title: String)]
    private let frozen = Mutex(true)

    /// Stops the postmaster first (so it forks no new backend), then every child.
    public init() throws {
        let port = try PostgresTestServer.settings().port
        let table = try Self.processTable()
        guard let postmaster = table.first(where: { $0.args.contains("bin/postgres ") && $0.args.contains(" -p \(port) ") }) else {
            throw TestEnvironmentError("no postgres postmaster listening on port \(port) in the process table")
        }
        self.postmaster = postmaster.pid
        children = table.filter { $0.ppid == postmaster.pid }.map { ($0.pid, $0.args) }
        kill(postmaster.pid, SIGSTOP)
        for child in children { kill(child.pid, SIGSTOP) }
    }

    /// Kills the backends serving `database` while they are stopped, so whatever they were
    /// doing never completes. PostgreSQL answers a killed backend by restarting (crash
    /// recovery), which drops every connection once the server is thawed.
    /// - Returns: how many backends were killed.
    @discardableResult
    public func killBackends(of database: String) -> Int {
        let backends = children.filter { $0.title.hasPrefix("postgres: ") && $0.title.contains(" \(database) ") }
        for backend in backends { kill(backend.pid, SIGKILL) }
        return backends.count
    }

    /// Resumes the postmaster and its children.
    public func thaw() {
        guard frozen.withLock({ wasFrozen in defer { wasFrozen = false }; return wasFrozen }) else { return }
        kill(postmaster, SIGCONT)
        for child in children { kill(child.pid, SIGCONT) }
    }

    deinit { thaw() }

    private static func processTable() throws -> [(pid: Int32, ppid: Int32, args: String)] {
        let listing = try CommandLineTool.checked("/bin/ps", ["-eo", "pid=,ppid=,args="]).text
        return listing.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count == 3, let pid = Int32(fields[0]), let ppid = Int32(fields[1]) else { return nil }
            return (pid, ppid, String(fields[2]))
        }
    }
}
