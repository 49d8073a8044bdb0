import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// What the fault-window tests read off a lake: its job logs, staged and published silver
/// folders, and distinct clips.
extension TestLake {
    var staging: String { root + "/staging" }
    var silver: String { root + "/silver" }

    /// A distinct tiny clip in the allowed root: the title makes its bytes, and so its hash,
    /// unique.
    func distinctClip(_ name: String, size: String = "320x240", seconds: Int = 1) throws -> String {
        let path = incoming + "/" + name
        try CommandLineTool.checked("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=\(size):r=25:d=\(seconds)",
                                               "-f", "lavfi", "-i", "sine=f=440:d=\(seconds)", "-c:v", "libx264", "-preset", "ultrafast",
                                               "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-metadata", "title=\(name)", path])
        return path
    }

    /// Every complete job log line so far, across all jobs, parsed (a line still being
    /// written, without its newline, waits for the next read).
    func allLogEntries() throws -> [[String: JSONValue]] {
        let logs = root + "/logs"
        guard FileManager.default.fileExists(atPath: logs) else { return [] }
        let days = try FileManager.default.contentsOfDirectory(atPath: logs).filter { name in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: logs + "/" + name, isDirectory: &isFolder) && isFolder.boolValue
        }
        return try days.flatMap { day in
            try FileManager.default.contentsOfDirectory(atPath: logs + "/" + day).filter { $0.hasSuffix(".jsonl") }.flatMap { name in
                let text = try String(contentsOfFile: logs + "/" + day + "/" + name, encoding: .utf8)
                return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                    .map { try JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
            }
        }
    }

    /// Log lines of `event` (e.g. `task.running`) for `task`.
    func logEntries(event: String, task: String) throws -> [[String: JSONValue]] {
        try allLogEntries().filter { $0["event"] == .string(event) && $0["task"] == .string(task) }
    }

    /// Entries of a folder of the lake (none when it does not exist), hidden ones included.
    /// A folder that exists but cannot be listed fails the test (it is not "empty").
    func entries(of folder: String) -> [String] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            Issue.record("cannot list \(folder): \(error)")
            return []
        }
    }
}

extension JSONValue {
    /// The fields of an object value.
    var object: [String: JSONValue]? { if case .object(let value) = self { value } else { nil } }
}
