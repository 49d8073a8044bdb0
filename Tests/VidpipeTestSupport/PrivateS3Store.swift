import Foundation

/// A SeaweedFS store of a test's own (`scripts/services/s3` on a port no other test uses),
/// for tests that kill the store: the shared one must stay up for everyone else.
public final class PrivateS3Store: @unchecked Sendable {
    public let port: Int
    /// The store's `AWS_*` variables.
    public private(set) var variables: [String: String] = [:]
    private let script = PackageDirectory.path("scripts/services/s3")

    /// Starts the store on `port` (S3), `port + 1…3` (master, volume, filer).
    public init(port: Int) throws {
        self.port = port
        try start()
    }

    /// (Re)starts the store; data written before a kill is still there.
    public func start() throws {
        let result = try CommandLineTool.checked(script, ["start"], environment: environment)
        variables = [:]
        for pair in result.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            variables[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
    }

    /// SIGKILL, as a crash or a power cut would stop it.
    public func kill() throws {
        let pidFile = PackageDirectory.path(".deps/run/s3-\(port).pid")
        guard let pid = Int32((try String(contentsOfFile: pidFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestEnvironmentError("no pid in \(pidFile)")
        }
        Foundation.kill(pid, SIGKILL)
        while Foundation.kill(pid, 0) == 0 { usleep(10_000) }
    }

    /// Stops the store and deletes its data.
    public func stop() {
        _ = try? CommandLineTool.run(script, ["stop"], environment: environment)
    }

    private var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["VIDPIPE_S3_PORT": "\(port)"]) { _, new in new }
    }
}
