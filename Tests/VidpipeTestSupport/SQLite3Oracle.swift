import Foundation

/// The `sqlite3` CLI as an oracle independent of sqlite-nio: what a SQLite file really holds.
///
/// `scripts/setup` installs it; a missing CLI fails the test instead of skipping the check.
public enum SQLite3Oracle {
    /// Where Debian installs the CLI.
    public static let executablePath = "/usr/bin/sqlite3"

    /// Runs `sql` on the database at `path` and returns the output lines, in sqlite3's list
    /// mode (`|` between columns, NULL as nothing).
    public static func query(_ path: String, _ sql: String) throws -> [String] {
        guard FileManager.default.isExecutableFile(atPath: executablePath) else {
            throw TestEnvironmentError("\(executablePath) is missing: run scripts/setup")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executablePath)
        process.arguments = ["-bail", path, sql]
        // Output to files, not pipes: Foundation's pipe reads crash on EINTR from other
        // tests' SIGCHLD.
        let folder = FileManager.default.temporaryDirectory
        let outputPath = folder.appendingPathComponent("vidpipe-sqlite3-\(UUID().uuidString)").path
        let errorPath = outputPath + ".err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer {
            try? output.close()
            try? errors.close()
            try? FileManager.default.removeItem(atPath: outputPath)
            try? FileManager.default.removeItem(atPath: errorPath)
        }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let text = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        guard process.terminationStatus == 0 else {
            throw TestEnvironmentError("sqlite3 failed (\(process.terminationStatus)): \(text(errorPath)) for: \(sql)")
        }
        return text(outputPath).split(separator: "\n").map(String.init)
    }
}
