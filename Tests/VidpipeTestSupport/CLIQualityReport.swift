import Foundation

/// What the ffmpeg CLI's own filters report on a file: the oracle QC is checked against.
/// `ffmpeg -i F -vf blackdetect,freezedetect -af silencedetect,ebur128=peak=true -f null -`
public struct CLIQualityReport: Sendable {
    /// Segments; an end is nil when the CLI left the run open at the end of the file.
    public var black: [(start: Double, end: Double?)] = []
    public var frozen: [(start: Double, end: Double?)] = []
    public var silence: [(start: Double, end: Double?)] = []
    public var integrated: Double?
    public var range: Double?
    public var peak: Double?

    public static func measure(_ path: String, video: Bool = true, audio: Bool = true, in directory: URL) throws -> CLIQualityReport {
        var arguments = ["-nostdin", "-hide_banner", "-nostats", "-i", path]
        if video { arguments += ["-vf", "blackdetect,freezedetect"] }
        if audio { arguments += ["-af", "silencedetect,ebur128=peak=true"] }
        arguments += ["-f", "null", "-"]
        let result = try CommandLineTool.run("ffmpeg", arguments, in: directory)
        guard result.status == 0 else { throw ToolFailure(command: ["ffmpeg"] + arguments, status: result.status, stderr: result.stderr) }
        return parse(result.stderr)
    }

    public static func parse(_ log: String) -> CLIQualityReport {
        var report = CLIQualityReport()
        var inSummary = false
        for line in log.split(separator: "\n").map(String.init) {
            if let start = number(after: "black_start:", in: line) {
                report.black.append((start, number(after: "black_end:", in: line)))
            }
            if let start = number(after: "freeze_start:", in: line) { report.frozen.append((start, nil)) }
            if let end = number(after: "freeze_end:", in: line), let last = report.frozen.indices.last { report.frozen[last].end = end }
            if let start = number(after: "silence_start:", in: line) { report.silence.append((start, nil)) }
            if let end = number(after: "silence_end:", in: line), let last = report.silence.indices.last { report.silence[last].end = end }
            if line.contains("Summary:") { inSummary = true }
            // The summary's lines are indented; the per-100-ms lines also contain "I:".
            guard inSummary else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("I:") { report.integrated = number(after: "I:", in: trimmed) }
            if trimmed.hasPrefix("LRA:") { report.range = number(after: "LRA:", in: trimmed) }
            if trimmed.hasPrefix("Peak:") { report.peak = number(after: "Peak:", in: trimmed) }
        }
        return report
    }

    /// Scene cuts the CLI's `scdet` (default threshold 10) reports, in seconds.
    public static func sceneCutTimes(_ path: String, in directory: URL) throws -> [Double] {
        // checked: a failed run must fail the test, not read as "no cuts".
        let result = try CommandLineTool.checked("ffmpeg", ["-nostdin", "-hide_banner", "-i", path, "-vf", "scdet", "-f", "null", "-"],
                                                 in: directory)
        return result.stderr.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "lavfi.scd.time: ") else { return nil }
            return Double(line[range.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
    }

    private static func number(after key: String, in line: String) -> Double? {
        guard let range = line.range(of: key) else { return nil }
        let rest = line[range.upperBound...].drop(while: { $0 == " " })
        return Double(rest.prefix(while: { $0.isNumber || $0 == "." || $0 == "-" }))
    }
}
