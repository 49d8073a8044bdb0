import Execution
import Foundation
import Media

/// The QC-only silver pass against the ffmpeg CLI on the same clip, measured in one run:
/// a bare decode (`ffmpeg -i SRC -f null -`, goal ≤ 1.2×) and the CLI running the same
/// checks (`-vf blackdetect,freezedetect -af silencedetect,ebur128=peak=true`, goal ≤ 1.0×).
enum SilverBenchmark {
    static let qc = "QC-only silver pass"
    static let bare = "ffmpeg bare decode"
    static let checks = "ffmpeg same checks"

    /// Times `repetitions` rounds (after one untimed warm-up round); each round runs the
    /// three contenders back to back so machine noise hits them alike. Returns the report.
    static func runQC(source: String, repetitions: Int) throws -> String {
        guard repetitions > 0 else { throw Measurement.Failure(description: "repetitions must be positive") }
        let quiet = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"]
        let bareDecode = quiet + ["-i", source, "-f", "null", "-"]
        let cliChecks = quiet + ["-i", source, "-vf", "blackdetect,freezedetect", "-af", "silencedetect,ebur128=peak=true", "-f", "null", "-"]

        var table = TimingTable()
        var findings = ""
        for round in 0...repetitions {
            var result: MediaPassResult?
            let cpuBefore = Measurement.cpuSeconds(RUSAGE_SELF)
            let start = ContinuousClock.now
            result = try MediaPass.run(path: source, qc: QCOptions())
            let ours = Timing(wall: (ContinuousClock.now - start).seconds, cpu: Measurement.cpuSeconds(RUSAGE_SELF) - cpuBefore)
            let bareTiming = try Measurement.children([bareDecode])
            let checksTiming = try Measurement.children([cliChecks])
            // Round 0 warms caches and loads libraries.
            if round == 0 {
                findings = result.map { "\($0.decode.videoFramesDecoded) video frames, findings: \($0.qc.findings.map(\.kind.rawValue))" } ?? ""
                continue
            }
            table.add(qc, ours)
            table.add(bare, bareTiming)
            table.add(checks, checksTiming)
        }

        return [
            "silver QC benchmark: \(source), median of \(repetitions) rounds",
            "  QC pass: \(findings)",
            table.line(qc, against: bare, width: 22),
            table.line(bare, against: bare, width: 22),
            table.line(checks, against: bare, width: 22),
            table.goal("QC pass / bare decode       ", qc, over: bare, atMost: 1.2),
            table.goal("QC pass / ffmpeg same checks", qc, over: checks, atMost: 1.0),
            "  bare decode:  " + Measurement.shellLine(bareDecode),
            "  same checks:  " + Measurement.shellLine(cliChecks),
        ].joined(separator: "\n")
    }
}
