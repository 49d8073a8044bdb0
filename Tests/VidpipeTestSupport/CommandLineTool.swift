import Foundation

/// What a finished command printed and returned.
public struct ToolResult: Sendable {
    /// The exit status.
    public var status: Int32
    /// Everything it wrote to standard output.
    public var stdout: Data
    /// Everything it wrote to standard error, as text.
    public var stderr: String
    /// Standard output as UTF-8 text.
    public var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// A command that had to succeed exited with another status.
public struct ToolFailure: Error, CustomStringConvertible {
    /// The command line (tool and arguments).
    public var command: [String]
    /// Its exit status.
    public var status: Int32
    /// What it wrote to standard error.
    public var stderr: String

    public init(command: [String], status: Int32, stderr: String) {
        self.command = command
        self.status = status
        self.stderr = stderr
    }

    public var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
}

/// Runs command-line tools: the oracles (ffmpeg, ffprobe, sqlite3, psql, sha256sum, python3)
/// and the programs under test.
public enum CommandLineTool {
    /// Runs `tool` (an absolute path, or a name looked up on PATH) in `directory` and waits for it.
    ///
    /// - Parameter environment: the child's whole environment; nil passes this process's on.
    @discardableResult
    public static func run(
        _ tool: String, _ arguments: [String], environment: [String: String]? = nil,
        in directory: URL = FileManager.default.temporaryDirectory
    ) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : "/usr/bin/env")
        process.arguments = tool.hasPrefix("/") ? arguments : [tool] + arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        // Output goes to files, not pipes: a chatty tool cannot fill a second pipe and block,
        // and Foundation's pipe reads crash on EINTR, which other tests' SIGCHLD can cause.
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-tool-\(UUID().uuidString)").path
        let stdoutPath = base + ".out", stderrPath = base + ".err"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let stderrHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer {
            try? stdoutHandle.close()
            try? stderrHandle.close()
            try? FileManager.default.removeItem(atPath: stdoutPath)
            try? FileManager.default.removeItem(atPath: stderrPath)
        }
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()
        process.waitUntilExit()
        return ToolResult(
            status: process.terminationStatus,
            stdout: FileManager.default.contents(atPath: stdoutPath) ?? Data(),
            stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: stderrPath)), as: UTF8.self))
    }

    /// Runs a tool that must succeed.
    ///
    /// - Throws: ``ToolFailure`` with its stderr when it exits with another status than 0.
    @discardableResult
    public static func checked(
        _ tool: String, _ arguments: [String], environment: [String: String]? = nil,
        in directory: URL = FileManager.default.temporaryDirectory
    ) throws -> ToolResult {
        let result = try run(tool, arguments, environment: environment, in: directory)
        guard result.status == 0 else { throw ToolFailure(command: [tool] + arguments, status: result.status, stderr: result.stderr) }
        return result
    }

    /// Runs ffmpeg quietly (`-nostdin -hide_banner -v error -y`); throws with its stderr when it fails.
    public static func ffmpeg(_ arguments: [String], in directory: URL = FileManager.default.temporaryDirectory) throws {
        try checked("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments, in: directory)
    }

    /// The oracle for checksums: `sha256sum`'s hex digest of the file at `path`.
    public static func sha256sum(_ path: String) throws -> String {
        String(try checked("sha256sum", [path]).text.prefix(64))
    }
}
