import Foundation
import Logging
import Synchronization

/// Appends log lines to a file as JSON lines (`time`, `level`, `label`, `message`, then the
/// metadata: `job`, `request`, `video`, … on every line of a job), and rotates the file
/// before it would pass `maxBytes`: `vidpipe.log` becomes `vidpipe.log.1`, `.1` becomes
/// `.2`, and so on up to `keptFiles`; the oldest is deleted.
struct FileLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    private let label: String
    private let sink: Sink

    /// The open file and its size, shared by every logger of the process.
    final class Sink: Sendable {
        private struct File {
            var handle: FileHandle
            var size: UInt64
        }
        let path: String
        let maxBytes: UInt64
        let keptFiles: Int
        private let file: Mutex<File>

        init?(path: String, maxBytes: Int64, keptFiles: Int) {
            guard let file = Self.open(path) else { return nil }
            self.path = path
            self.maxBytes = UInt64(max(1, maxBytes))
            self.keptFiles = max(1, keptFiles)
            self.file = Mutex(file)
        }

        func append(_ line: Data) {
            file.withLock { file in
                if file.size > 0, file.size + UInt64(line.count) > maxBytes, let fresh = rotate(closing: file.handle) {
                    file = fresh
                }
                do {
                    try file.handle.write(contentsOf: line)
                    file.size += UInt64(line.count)
                } catch {
                    // A full disk must not stop the daemon; the line is lost, stderr still has it.
                }
            }
        }

        /// Shifts the rotated files up by one and starts a new, empty log.
        private func rotate(closing handle: FileHandle) -> File? {
            try? handle.close()
            unlink("\(path).\(keptFiles)")
            for index in stride(from: keptFiles - 1, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            rename(path, "\(path).1")
            return Self.open(path)
        }

        private static func open(_ path: String) -> File? {
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            guard let handle = FileHandle(forWritingAtPath: path), let size = try? handle.seekToEnd() else { return nil }
            return File(handle: handle, size: size)
        }
    }

    init(label: String, sink: Sink) {
        self.label = label
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata.merging(event.metadata ?? [:]) { _, new in new }.mapValues { "\($0)" }
        fields["time"] = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        fields["level"] = "\(event.level)"
        fields["label"] = label
        fields["message"] = "\(event.message)"
        guard var line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(0x0A)
        sink.append(line)
    }
}
