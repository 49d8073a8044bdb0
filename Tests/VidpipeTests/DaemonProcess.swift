import Foundation
import VidpipeTestSupport

/// A running `vidpipe run` (or another long-running command: `watch`, `process` on many files) on a test lake;
/// its stderr (the daemon log) and stdout go to files in the lake's scratch folder. Killed
/// when released, so a test that failed early leaves none behind.
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
        let base = lake.scratch.path("\(name)-\(UUID().uuidString.prefix(4))")
        logPath = base + ".stderr"
        outputPath = base + ".stdout"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        try process.run()
    }

    /// A daemon on a service lake (Kafka intake).
    convenience init(_ service: ServiceLake, name: String = "daemon", arguments: [String] = ["run"], environment: [String: String] = [:]) throws {
        try self.init(service.lake, name: name, arguments: arguments, environment: environment)
    }

    /// The log so far, for failure messages; ``readLog()`` for checks.
    var log: String { (try? readLog()) ?? "(cannot read \(logPath))" }

    /// The log so far.
    ///
    /// - Throws: when the file cannot be read: an unreadable log is not an empty one.
    func readLog() throws -> String { try String(contentsOfFile: logPath, encoding: .utf8) }

    /// What it printed on stdout so far.
    func readStdout() throws -> String { try String(contentsOfFile: outputPath, encoding: .utf8) }

    /// Its stdout so far, as bytes (empty while none was written).
    var output: Data { FileManager.default.contents(atPath: outputPath) ?? Data() }

    /// How many times `text` occurs in the log.
    func count(_ text: String) throws -> Int { try readLog().components(separatedBy: text).count - 1 }

    /// The partitions the daemon's consumer holds now, replayed from its
    /// `assigned [topic[0], topic[1]]` and `revoked [...]` / `lost [...]` log lines.
    func assignment() throws -> Set<Int> {
        var held = Set<Int>()
        for line in try readLog().split(separator: "\n") {
            for (word, adds) in [("assigned [", true), ("revoked [", false), ("lost [", false)] {
                guard let start = line.range(of: word) else { continue }
                let partitions = line[start.upperBound...].matches(of: /\[(\d+)\]/).compactMap { Int($0.output.1) }
                if adds { held.formUnion(partitions) } else { held.subtract(partitions) }
            }
        }
        return held
    }

    /// Waits until the daemon reads requests: before that, a SIGTERM finds no handler yet.
    func waitUntilConsuming(within seconds: Double = 20) async throws -> Bool {
        try await eventually(within: seconds) { try readLog().contains("consuming requests") }
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
