import Foundation
import Ingest
import Synchronization

/// A one-line progress counter on stderr, shown only when stderr is a terminal.
final class ProgressLine: Sendable {
    private let total: Int
    private let done = Mutex(0)
    private let enabled = isatty(STDERR_FILENO) == 1

    init(total: Int) { self.total = total }

    func advance(with outcome: JobOutcome) {
        guard enabled else { return }
        let count = done.withLock { count in count += 1; return count }
        let name = (outcome.path as NSString).lastPathComponent
        FileHandle.standardError.write(Data("\r\u{1B}[2K[\(count)/\(total)] \(name): \(outcome.state.rawValue)".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
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
