import Foundation

/// A fresh directory under the system temp dir, removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vidpipe-media-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

struct ToolFailure: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var stderr: String
    var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
}

/// Runs a command-line tool (found on PATH) in `directory`, returning stdout and exit status.
enum CommandLineTool {
    @discardableResult
    static func run(_ tool: String, _ arguments: [String], in directory: URL) throws -> (status: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        // stderr goes to a file so a chatty tool cannot fill a second pipe and block.
        let stderrURL = directory.appendingPathComponent(".stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? stderrHandle.close()
            try? FileManager.default.removeItem(at: stderrURL)
        }
        // stdout goes to a file, not a pipe: Foundation's pipe reads crash on EINTR, which the
        // SIGCHLD of other tests' child processes can cause.
        let stdoutURL = directory.appendingPathComponent(".stdout-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        defer {
            try? stdoutHandle.close()
            try? FileManager.default.removeItem(at: stdoutURL)
        }
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()
        process.waitUntilExit()
        let output = (try? Data(contentsOf: stdoutURL)) ?? Data()
        let errors = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output, errors)
    }

    /// Runs ffmpeg quietly; throws with its stderr when it fails.
    static func ffmpeg(_ arguments: [String], in directory: URL) throws {
        let command = ["-nostdin", "-hide_banner", "-v", "error", "-y"] + arguments
        let result = try run("ffmpeg", command, in: directory)
        guard result.status == 0 else { throw ToolFailure(command: ["ffmpeg"] + command, status: result.status, stderr: result.stderr) }
    }

    /// The oracle: `ffprobe -show_format -show_streams` as JSON, decoded.
    static func ffprobe(_ path: String, in directory: URL) throws -> FFprobeOutput {
        let command = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path]
        let result = try run("ffprobe", command, in: directory)
        guard result.status == 0 else { throw ToolFailure(command: ["ffprobe"] + command, status: result.status, stderr: result.stderr) }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(FFprobeOutput.self, from: result.stdout)
    }
}

/// The subset of ffprobe's JSON the tests compare against. Numbers ffprobe prints as
/// strings stay strings here and are converted at comparison time.
struct FFprobeOutput: Decodable {
    struct Format: Decodable {
        var nbStreams: Int
        var formatName: String
        var formatLongName: String?
        var startTime: String?
        var duration: String?
        var size: String?
        var bitRate: String?
        var tags: [String: String]?
    }

    struct SideData: Decodable {
        var sideDataType: String?
        var rotation: Double?
    }

    struct Stream: Decodable {
        var index: Int
        var codecName: String?
        var codecLongName: String?
        var codecType: String?
        var profile: String?
        var width: Int?
        var height: Int?
        var sampleAspectRatio: String?
        var displayAspectRatio: String?
        var pixFmt: String?
        var level: Int?
        var colorRange: String?
        var colorSpace: String?
        var colorTransfer: String?
        var colorPrimaries: String?
        var fieldOrder: String?
        var sampleFmt: String?
        var sampleRate: String?
        var channels: Int?
        var channelLayout: String?
        var rFrameRate: String?
        var avgFrameRate: String?
        var timeBase: String?
        var startTime: String?
        var duration: String?
        var bitRate: String?
        var bitsPerRawSample: String?
        var nbFrames: String?
        var sideDataList: [SideData]?
        var tags: [String: String]?
    }

    var format: Format
    var streams: [Stream]?
}
