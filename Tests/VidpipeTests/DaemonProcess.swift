import Foundation
import VidpipeTestSupport

/// A running `vidpipe run` (or another long command, such as `process` on many files) on a
/// test lake; its stderr (the daemon log) and stdout go to files in the lake's scratch
/// folder. Killed when released, so a test that failed early leaves none behind.
final class DaemonProcess {
    let process = Process()
    let logPath: String
    let outputPath: String

    init(_ lake: TestLake, name: String = "daemon", arguments: [String] = ["run"], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: try VidpipeBinary.path())
        process.arguments = arguments
        process.currentDirectoryURL = lake.scratch.url
        process.environment = lake.processEnvironment.merging(environment) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        let stem = lake.scratch.path("\(name)-\(UUID().uuidString.prefix(4))")
        logPath = stem + ".stderr"
        outputPath = stem + ".stdout"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        try process.run()
    }

    /// A daemon on a service lake (Kafka intake).
    convenience init(_ service: ServiceLake, name: String = "daemon", environment: [String: String] = [:]) throws {
        try self.init(service.lake, name: name, environment: environment)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var output: Data { FileManager.default.contents(atPath: outputPath) ?? Data() }

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
