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
        try run(["-bail", path, sql]).text.split(separator: "\n").map(String.init)
    }

    /// Runs `sql` read-only on the database at `path` and returns sqlite3's `-json` output:
    /// an array of row objects, or no bytes at all (not `[]`) for an empty result.
    public static func json(_ path: String, _ sql: String) throws -> Data {
        try run(["-json", "-readonly", path, sql]).stdout
    }

    private static func run(_ arguments: [String]) throws -> ToolResult {
        guard FileManager.default.isExecutableFile(atPath: executablePath) else {
            throw TestEnvironmentError("\(executablePath) is missing: run scripts/setup")
        }
        // A daemon migrating or checkpointing holds the lock for a moment: wait, as a reader would.
        let result = try CommandLineTool.run(executablePath, ["-cmd", ".timeout 5000"] + arguments)
        guard result.status == 0 else {
            throw TestEnvironmentError("sqlite3 failed (\(result.status)): \(result.stderr) for: \(arguments.last ?? "")")
        }
        return result
    }
}
