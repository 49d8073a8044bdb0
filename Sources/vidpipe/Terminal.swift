import Foundation
import Ingest
import Media
import Synchronization

/// Per-file progress of `vidpipe process` on stderr. On a terminal: one line, redrawn, with
/// the file, its task, the share decoded, frames per second and the time left. Otherwise
/// plain lines: each stage a file enters (bronze, silver, gold), every quarter of its
/// decode, and how it ended.
final class ProgressDisplay: Sendable {
    private struct State {
        var done = 0
        /// Per job: the last stage and decode quarter printed as a plain line.
        var printedStage: [String: String] = [:]
        var printedQuarter: [String: Int] = [:]
    }
    private let total: Int
    private let isTerminal: Bool
    private let state = Mutex(State())

    init(total: Int, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.total = total
        self.isTerminal = isTerminal
    }

    func update(_ progress: JobProgress) {
        let name = (progress.path as NSString).lastPathComponent
        let text: String? = state.withLock { state in
            if isTerminal {
                return "\r\u{1B}[2K[\(state.done)/\(total)] \(name): \(progress.stage)" + (progress.decode.map { " " + Self.describe($0) } ?? "")
            }
            if let decode = progress.decode {
                let quarter = Int((decode.fraction ?? 0) * 4)
                guard quarter > state.printedQuarter[progress.jobID, default: -1] else { return nil }
                state.printedQuarter[progress.jobID] = quarter
                return "\(name): decode \(Self.describe(decode))\n"
            }
            let stage = String(progress.stage.prefix { $0 != "." })
            guard state.printedStage[progress.jobID] != stage else { return nil }
            state.printedStage[progress.jobID] = stage
            return "\(name): \(stage)\n"
        }
        if let text { FileHandle.standardError.write(Data(text.utf8)) }
    }

    func advance(with outcome: JobOutcome) {
        let name = (outcome.path as NSString).lastPathComponent
        let text = state.withLock { state in
            state.done += 1
            state.printedStage[outcome.jobID] = nil
            state.printedQuarter[outcome.jobID] = nil
            let verdict = outcome.verdict.map { " (\($0))" } ?? ""
            return isTerminal ? "\r\u{1B}[2K[\(state.done)/\(total)] \(name): \(outcome.state.rawValue)\(verdict)"
                : "\(name): \(outcome.state.rawValue)\(verdict) [\(state.done)/\(total)]\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }

    /// "42% 180 fps eta 3s"; the share and the time left only when the duration is known.
    static func describe(_ decode: DecodeProgress) -> String {
        var parts: [String] = []
        if let fraction = decode.fraction { parts.append("\(Int((fraction * 100).rounded(.down)))%") }
        parts.append("\(Int(decode.framesPerSecond.rounded())) fps")
        if let remaining = decode.remainingSeconds { parts.append("eta \(Int(remaining.rounded(.up)))s") }
        return parts.joined(separator: " ")
    }
}

/// Fixed-width text tables for the terminal.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { column in
            ([header[column]] + rows.map { $0[column] }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

/// The summary table `vidpipe process` prints.
enum SummaryTable {
    static func render(_ outcomes: [JobOutcome]) -> String {
        let rows = outcomes.map { outcome -> [String] in
            let detail: String
            switch outcome.state {
            case .succeeded: detail = "video \(outcome.videoID ?? "-")" + (outcome.findings.isEmpty ? "" : "; " + outcome.findings.map { "\($0.severity.rawValue): \($0.message)" }.joined(separator: "; "))
            case .duplicate: detail = "duplicate of video \(outcome.duplicateOf ?? "?")"
            case .rejected, .failed: detail = "\(outcome.errorCode ?? "error"): \(outcome.message ?? "")"
            }
            return [
                (outcome.path as NSString).lastPathComponent,
                outcome.state.rawValue,
                outcome.verdict ?? "-",
                outcome.durationSeconds.map { String(format: "%.2fs", $0) } ?? "-",
                detail,
            ]
        }
        return TextTable.render(header: ["FILE", "STATE", "VERDICT", "DURATION", "DETAIL"], rows: rows)
    }
}
