import Foundation
import Ingest
import Testing

/// A fresh directory under the system temp dir; `remove()` deletes it.
struct ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-pipeline-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// What a finished command printed and returned.
struct ToolResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs command-line tools: the oracles (ffmpeg, ffprobe, sqlite3, sha256sum, python3) and vidpipe itself.
enum CommandLineTool {
    /// Runs `tool` (a path, or a name looked up on PATH) and waits for it.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], environment: [String: String]? = nil,
                    in directory: String = FileManager.default.temporaryDirectory.path) throws -> ToolResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : "/usr/bin/env")
        process.arguments = tool.hasPrefix("/") ? arguments : [tool] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        // stderr goes to a file so a chatty tool cannot fill a second pipe and block.
        let stderrPath = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-stderr-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let stderrHandle = try #require(FileHandle(forWritingAtPath: stderrPath))
        defer {
            try? stderrHandle.close()
            try? FileManager.default.removeItem(atPath: stderrPath)
        }
        // stdout goes to a file, not a pipe: Foundation's pipe reads crash on EINTR, which the
        // SIGCHLD of other tests' child processes can cause.
        let stdoutPath = stderrPath + ".out"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        let stdoutHandle = try #require(FileHandle(forWritingAtPath: stdoutPath))
        defer {
            try? stdoutHandle.close()
            try? FileManager.default.removeItem(atPath: stdoutPath)
        }
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()
        process.waitUntilExit()
        let output = FileManager.default.contents(atPath: stdoutPath) ?? Data()
        let errors = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return ToolResult(status: process.terminationStatus, stdout: output, stderr: errors)
    }

    /// Runs a tool that must succeed; throws with its stderr otherwise.
    @discardableResult
    static func checked(_ tool: String, _ arguments: [String], in directory: String = FileManager.default.temporaryDirectory.path) throws -> ToolResult {
        let result = try run(tool, arguments, in: directory)
        guard result.status == 0 else { throw ToolFailure(description: "\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)") }
        return result
    }

    /// The oracle for checksums: `sha256sum`'s hex digest.
    static func sha256sum(_ path: String) throws -> String {
        String(try checked("sha256sum", [path]).text.prefix(64))
    }
}

/// Test clips, generated with the ffmpeg CLI at test time (tiny and fast: 320x240, ultrafast).
enum Clip {
    /// H.264 + AAC in MP4: passes the default policy.
    static func good(_ path: String, seconds: Int = 1, faststart: Bool = true) throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=\(seconds)", "-f", "lavfi", "-i", "sine=f=440:d=\(seconds)",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
                   + (faststart ? ["-movflags", "+faststart"] : []) + [path])
    }

    /// Video only, 1 s, with the given encoder: for policy cases.
    static func silent(_ path: String, codec: [String] = ["-c:v", "libx264", "-preset", "ultrafast"]) throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1"] + codec + [path])
    }

    /// The first 60 % of a good clip: with the moov at the end it is gone, at the front the samples are.
    static func truncated(_ path: String, moovAtFront: Bool) throws {
        let whole = path + ".whole.mp4"
        try good(whole, seconds: 2, faststart: moovAtFront)
        let data = try Data(contentsOf: URL(fileURLWithPath: whole))
        try data.prefix(data.count * 6 / 10).write(to: URL(fileURLWithPath: path))
        try FileManager.default.removeItem(atPath: whole)
    }

    /// `ftyp` + a `moov` holding only an `mvhd`: a valid movie with zero streams
    /// (ffmpeg refuses to write one, so it is assembled by hand).
    static func zeroStreams(_ path: String) throws {
        func be32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
        func box(_ type: String, _ body: [UInt8]) -> [UInt8] { be32(UInt32(8 + body.count)) + Array(type.utf8) + body }
        var mvhd = be32(0) + be32(0) + be32(0) + be32(1000) + be32(0)  // version/flags, times, timescale, duration
        mvhd += be32(0x0001_0000) + [0x01, 0x00] + [UInt8](repeating: 0, count: 10)  // rate, volume, reserved
        for value: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] { mvhd += be32(value) }  // unity matrix
        mvhd += [UInt8](repeating: 0, count: 24) + be32(1)  // pre_defined, next_track_ID
        let file = box("ftyp", Array("isom".utf8) + be32(512) + Array("isom".utf8)) + box("moov", box("mvhd", mvhd))
        try Data(file).write(to: URL(fileURLWithPath: path))
    }

    /// Bytes from a seeded generator, so a failure reproduces; the first byte rules out a small box size.
    static func noise(_ path: String, count: Int) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: count)
        for index in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        bytes[0] = 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    private static func ffmpeg(_ arguments: [String]) throws {
        try CommandLineTool.checked("ffmpeg", ["-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments)
    }
}

/// The oracle for media facts: the parts of `ffprobe -show_format -show_streams` the tests compare.
struct FFprobeOutput: Decodable {
    struct Format: Decodable {
        var duration: String?
    }

    struct Stream: Decodable {
        var codecType: String?
        var width: Int?
        var height: Int?
    }

    var format: Format
    var streams: [Stream]

    static func of(_ path: String) throws -> FFprobeOutput {
        let result = try CommandLineTool.checked("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path])
        return try JSONDecoder.snakeCase.decode(FFprobeOutput.self, from: result.stdout)
    }
}

/// A data lake in a scratch directory, with an `incoming` folder as its only allowed root,
/// and the built `vidpipe` binary pointed at it.
struct TestLake {
    let scratch: ScratchDirectory
    var root: String { scratch.file("lake") }
    /// The allowed root; test inputs go here.
    var incoming: String { scratch.file("incoming") }
    var catalog: String { root + "/catalog.sqlite" }
    var inbox: String { root + "/inbox" }
    var outbox: String { root + "/outbox" }
    /// Extra variables for every `vidpipe` run of this lake.
    var environment: [String: String] = [:]

    init(environment: [String: String] = [:]) throws {
        scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(atPath: scratch.file("incoming"), withIntermediateDirectories: true)
        self.environment = environment
    }

    /// `<package>/.build/debug/vidpipe`, found from this file's location.
    static let binary: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/vidpipe").path

    /// The process environment with vidpipe's own variables replaced by this lake's, so the
    /// developer's shell settings cannot leak into a test.
    var processEnvironment: [String: String] {
        var variables = ProcessInfo.processInfo.environment.filter { key, _ in
            !(key.hasPrefix("VIDPIPE_") || key.hasPrefix("EMAIL_") || key.hasPrefix("SMTP_") || key == "PG_CONN_URI")
        }
        variables["VIDPIPE_DATALAKE"] = root
        variables["VIDPIPE_ALLOWED_ROOTS"] = incoming
        variables["VIDPIPE_LOG_LEVEL"] = "warning"
        variables.merge(environment) { _, new in new }
        return variables
    }

    /// Runs `vidpipe ARGUMENTS` against this lake, from the scratch folder (no config file there).
    @discardableResult
    func vidpipe(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ToolResult {
        try CommandLineTool.run(Self.binary, arguments, environment: processEnvironment.merging(extra) { _, new in new }, in: scratch.path)
    }

    /// `vidpipe process --json FILES`, decoded.
    func process(_ files: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, report: ProcessReport) {
        let result = try vidpipe(["process", "--json"] + files, environment: extra)
        do {
            return (result.status, try JSONDecoder.snakeCase.decode(ProcessReport.self, from: result.stdout))
        } catch {
            throw ToolFailure(description: "vidpipe process exited \(result.status) without a JSON report: \(result.text) \(result.stderr)")
        }
    }

    /// The oracle for the catalog: rows from the `sqlite3` CLI, as JSON objects.
    func query(_ sql: String) throws -> [[String: JSONValue]] {
        let result = try CommandLineTool.checked("sqlite3", ["-json", "-readonly", catalog, sql])
        // sqlite3 prints nothing at all (not `[]`) for an empty result.
        guard !result.stdout.isEmpty else { return [] }
        return try JSONDecoder().decode([[String: JSONValue]].self, from: result.stdout)
    }

    /// The job log's lines, read as plain JSON (not through `JobLog`).
    func logEntries(_ path: String) throws -> [[String: JSONValue]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
    }

    /// Request files (`*.json`, not hidden) in an inbox folder.
    func requests(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
    }

    func remove() { scratch.remove() }
}

/// The `process --json` report, decoded independently of the CLI's own types.
struct ProcessReport: Decodable {
    struct Job: Decodable {
        var jobId: String
        var state: String
        var verdict: String?
        var errorCode: String?
        var message: String?
        var videoId: String?
        var duplicateOf: String?
        var sha256: String?
        var logPath: String
        var recorded: Bool
    }

    var accepted: Int
    var rejected: Int
    var jobs: [Job]
}

extension JSONDecoder {
    /// For the snake_case JSON of ffprobe and vidpipe's reports.
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

extension JSONValue {
    /// The text of a string value.
    var text: String? { if case .string(let value) = self { value } else { nil } }
    /// The value of a number.
    var number: Double? { if case .number(let value) = self { value } else { nil } }
}

/// Polls `condition` every 0.1 s until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return try condition()
}
