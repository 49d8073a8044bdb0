import Foundation
import Media

/// The QC-only silver pass against the ffmpeg CLI on the same clip, measured in one run:
/// a bare decode (`ffmpeg -i SRC -f null -`, goal ≤ 1.2×) and the CLI running the same
/// checks (`-vf blackdetect,freezedetect -af silencedetect,ebur128=peak=true`, goal ≤ 1.0×).
enum SilverBenchmark {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Times `repetitions` rounds (after one untimed warm-up round); each round runs the
    /// three contenders back to back so machine noise hits them alike. Returns the report.
    static func runQC(source: String, repetitions: Int) throws -> String {
        guard repetitions > 0 else { throw Failure(description: "repetitions must be positive") }
        let bareDecode = ["-i", source, "-f", "null", "-"]
        let cliChecks = ["-i", source, "-vf", "blackdetect,freezedetect", "-af", "silencedetect,ebur128=peak=true", "-f", "null", "-"]

        var qc: [Double] = [], bare: [Double] = [], checks: [Double] = []
        var findings = ""
        for round in 0...repetitions {
            let clock = ContinuousClock()
            var result: SilverResult?
            let qcTime = try clock.measure { result = try SilverPass.run(path: source, qc: QCOptions()) }
            let bareTime = try clock.measure { try runFFmpeg(bareDecode) }
            let checksTime = try clock.measure { try runFFmpeg(cliChecks) }
            if round == 0 {
                findings = result.map { "\($0.decode.videoFramesDecoded) video frames, findings: \($0.qc.findings.map(\.kind.rawValue))" } ?? ""
                continue
            }
            qc.append(seconds(qcTime))
            bare.append(seconds(bareTime))
            checks.append(seconds(checksTime))
        }

        let qcMedian = median(qc), bareMedian = median(bare), checksMedian = median(checks)
        func line(_ name: String, _ value: Double) -> String { "  \(name) median " + String(format: "%.3f s", value) }
        func ratio(_ name: String, _ value: Double, goal: Double) -> String {
            "  \(name): " + String(format: "%.3f× (goal ≤ %.2f×: ", value, goal) + (value <= goal ? "met)" : "NOT met)")
        }
        return [
            "silver QC benchmark: \(source), \(repetitions) rounds",
            "  QC pass: \(findings)",
            line("QC-only silver pass:              ", qcMedian),
            line("ffmpeg bare decode:               ", bareMedian),
            line("ffmpeg blackdetect,freezedetect,…:", checksMedian),
            ratio("QC pass / bare decode", qcMedian / bareMedian, goal: 1.2),
            ratio("QC pass / ffmpeg same checks", qcMedian / checksMedian, goal: 1.0),
        ].joined(separator: "\n")
    }

    /// Runs ffmpeg quietly and waits; throws when it fails.
    private static func runFFmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "ffmpeg \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
