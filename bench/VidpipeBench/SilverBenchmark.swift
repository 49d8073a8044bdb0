import Execution
import Foundation
import Media

/// The QC-only silver pass against the ffmpeg CLI on the same clip, measured in one run:
/// a bare decode (`ffmpeg -i SRC -f null -`, goal ≤ 1.2×) and the CLI running the same
/// checks (goal ≤ 1.0×).
///
/// "The same checks" is the same work: blackdetect, freezedetect, silencedetect, ebur128
/// with true peak, and idet on the frames vidpipe samples (the first 2 s of every 10 s,
/// ``videoChecks(_:idetOnEveryFrame:)``). The ratio is also given against the CLI running
/// idet on every frame. vidpipe counts black pixels with its own vectorised counter in place
/// of blackdetect (same counts); the CLI runs blackdetect itself.
enum SilverBenchmark {
    static let qc = "QC-only silver pass"
    static let bare = "ffmpeg bare decode"
    static let checks = "ffmpeg same checks"
    static let checksFullIdet = "ffmpeg, all-frame idet"

    /// ffmpeg's `-vf` for vidpipe's video checks with `qc`'s thresholds. idet sees only the
    /// frames in vidpipe's sampling windows (`select` drops the rest after blackdetect and
    /// freezedetect saw them), unless `idetOnEveryFrame`.
    static func videoChecks(_ qc: QCOptions, idetOnEveryFrame: Bool = false) -> String {
        let window = qc.interlaceSampleInterval > 0
            ? "select='lt(mod(t,\(qc.interlaceSampleInterval)),\(qc.interlaceSampleWindow))'," : ""
        return "blackdetect=d=\(qc.blackMinDuration):pic_th=\(qc.pictureBlackRatio):pix_th=\(qc.pixelBlackThreshold),"
            + "freezedetect=n=\(qc.freezeNoise):d=\(qc.freezeMinDuration),"
            + (idetOnEveryFrame ? "" : window)
            + "idet=intl_thres=\(qc.interlaceThreshold):prog_thres=\(qc.progressiveThreshold)"
    }

    /// ffmpeg's `-af` for vidpipe's audio checks with `qc`'s thresholds.
    static func audioChecks(_ qc: QCOptions) -> String {
        "silencedetect=n=\(qc.silenceNoise):d=\(qc.silenceMinDuration),ebur128=peak=true"
    }

    /// Times `repetitions` rounds (after one untimed warm-up round); each round runs the
    /// three contenders back to back so machine noise hits them alike. Returns the report.
    static func runQC(source: String, repetitions: Int) throws -> String {
        guard repetitions > 0 else { throw Measurement.Failure(description: "repetitions must be positive") }
        let quiet = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"]
        let bareDecode = quiet + ["-i", source, "-f", "null", "-"]
        let qcOptions = QCOptions()
        let cliChecks = quiet + ["-i", source, "-vf", videoChecks(qcOptions), "-af", audioChecks(qcOptions), "-f", "null", "-"]
        let cliChecksFullIdet = quiet + ["-i", source, "-vf", videoChecks(qcOptions, idetOnEveryFrame: true), "-af", audioChecks(qcOptions),
                                         "-f", "null", "-"]

        var table = TimingTable()
        var findings = ""
        for round in 0...repetitions {
            var result: MediaPassResult?
            let cpuBefore = Measurement.cpuSeconds(RUSAGE_SELF)
            let start = ContinuousClock.now
            result = try MediaPass.run(path: source, qc: qcOptions)
            let ours = Timing(wall: (ContinuousClock.now - start).seconds, cpu: Measurement.cpuSeconds(RUSAGE_SELF) - cpuBefore)
            let bareTiming = try Measurement.children([bareDecode])
            let checksTiming = try Measurement.children([cliChecks])
            let fullIdetTiming = try Measurement.children([cliChecksFullIdet])
            // Round 0 warms caches and loads libraries.
            if round == 0 {
                findings = result.map { "\($0.decode.videoFramesDecoded) video frames, findings: \($0.qc.findings.map(\.kind.rawValue))" } ?? ""
                continue
            }
            table.add(qc, ours)
            table.add(bare, bareTiming)
            table.add(checks, checksTiming)
            table.add(checksFullIdet, fullIdetTiming)
        }

        return [
            "silver QC benchmark: \(source), median of \(repetitions) rounds",
            "  QC pass: \(findings)",
            table.line(qc, against: bare, width: 22),
            table.line(bare, against: bare, width: 22),
            table.line(checks, against: bare, width: 22),
            table.line(checksFullIdet, against: bare, width: 22),
            table.goal("QC pass / bare decode       ", qc, over: bare, atMost: 1.2),
            table.goal("QC pass / ffmpeg same checks", qc, over: checks, atMost: 1.0),
            table.goal("QC pass / ffmpeg, idet every frame", qc, over: checksFullIdet, atMost: 1.0),
            "  bare decode:  " + Measurement.shellLine(bareDecode),
            "  same checks:  " + Measurement.shellLine(cliChecks),
            "  idet on every frame: " + Measurement.shellLine(cliChecksFullIdet),
        ].joined(separator: "\n")
    }
}
