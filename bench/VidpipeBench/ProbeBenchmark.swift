import Execution
import Foundation
import Media

/// Timings of one probe benchmark: in-process `MediaProbe` against `ffprobe` processes.
struct ProbeBenchmarkResult: Sendable {
    /// The files probed, in order.
    var files: [String]
    /// Wall time of each full in-process pass over all files, in seconds (warm-up excluded).
    var inProcessPassSeconds: [Double]
    /// Wall time of each full pass of one `ffprobe` process per file, in seconds.
    var ffprobePassSeconds: [Double]
    /// Files the in-process probe rejected, with the error code (still timed: rejecting is work).
    var inProcessFailures: [String: String]
    /// Files ffprobe exited non-zero on.
    var ffprobeFailures: [String]

    var inProcessMedianSeconds: Double { Self.median(inProcessPassSeconds) }
    var ffprobeMedianSeconds: Double { Self.median(ffprobePassSeconds) }
    /// in-process / ffprobe median pass time; the goal is ≤ 0.1.
    var ratio: Double { ffprobeMedianSeconds > 0 ? inProcessMedianSeconds / ffprobeMedianSeconds : .infinity }

    /// A human-readable summary.
    var report: String {
        func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }
        let count = max(files.count, 1)
        var lines = [
            "probe benchmark: \(files.count) files",
            "  in-process MediaProbe: median pass \(ms(inProcessMedianSeconds)) (\(ms(inProcessMedianSeconds / Double(count))) per file) over \(inProcessPassSeconds.count) passes",
            "  ffprobe process:       median pass \(ms(ffprobeMedianSeconds)) (\(ms(ffprobeMedianSeconds / Double(count))) per file) over \(ffprobePassSeconds.count) passes",
            String(format: "  ratio in-process/ffprobe: %.4f (goal <= 0.1: %@)", ratio, ratio <= 0.1 ? "met" : "NOT met"),
        ]
        for (file, code) in inProcessFailures.sorted(by: { $0.key < $1.key }) {
            lines.append("  in-process rejected \(file): \(code)")
        }
        for file in ffprobeFailures.sorted() {
            lines.append("  ffprobe failed on \(file)")
        }
        return lines.joined(separator: "\n")
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
    }
}

/// Compares the in-process probe with spawning `ffprobe` per file, the way the pipeline
/// probed before `MediaProbe` existed.
enum ProbeBenchmark {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Probes every regular file directly inside `directory` (sorted by name).
    static func run(directory: String, repetitions: Int = 20, ffprobeRepetitions: Int = 3) throws -> ProbeBenchmarkResult {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let files = names.map { (directory as NSString).appendingPathComponent($0) }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        return try run(files: files, repetitions: repetitions, ffprobeRepetitions: ffprobeRepetitions)
    }

    /// Times `repetitions` in-process passes (after one untimed warm-up pass, which pays for
    /// loading and first-use initialisation) and `ffprobeRepetitions` passes of
    /// `ffprobe -v error -show_format -show_streams -of json FILE`, whose output is read in full.
    static func run(files: [String], repetitions: Int = 20, ffprobeRepetitions: Int = 3) throws -> ProbeBenchmarkResult {
        guard !files.isEmpty else { throw Failure(description: "no files to probe") }
        guard repetitions > 0, ffprobeRepetitions > 0 else { throw Failure(description: "repetitions must be positive") }
        let ffprobe = try executableOnPath("ffprobe")

        var failures: [String: String] = [:]
        for file in files {
            do { _ = try MediaProbe.probe(path: file) } catch { failures[file] = error.code.rawValue }
        }
        let clock = ContinuousClock()
        var inProcess: [Double] = []
        for _ in 0..<repetitions {
            let elapsed = clock.measure {
                for file in files { _ = try? MediaProbe.probe(path: file) }
            }
            inProcess.append(elapsed.seconds)
        }

        var ffprobeFailures: Set<String> = []
        var external: [Double] = []
        for _ in 0..<ffprobeRepetitions {
            var passFailures: [String] = []
            let elapsed = try clock.measure {
                for file in files where try !runFFprobe(ffprobe, file) { passFailures.append(file) }
            }
            ffprobeFailures.formUnion(passFailures)
            external.append(elapsed.seconds)
        }
        return ProbeBenchmarkResult(
            files: files, inProcessPassSeconds: inProcess, ffprobePassSeconds: external,
            inProcessFailures: failures, ffprobeFailures: ffprobeFailures.sorted())
    }

    /// Runs ffprobe on one file, reading all its JSON as a caller would; true on exit 0.
    private static func runFFprobe(_ executable: URL, _ file: String) throws -> Bool {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-v", "error", "-show_format", "-show_streams", "-of", "json", file]
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        _ = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    private static func executableOnPath(_ name: String) throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Failure(description: "\(name) not found on PATH (\(path)); install the ffmpeg package")
    }
}
