import Foundation
import Ingest

/// The embedded-mode request queue: one JSON request per file in `datalake/inbox`.
///
/// `vidpipe produce` writes a request under a hidden temporary name and renames it, so the
/// daemon never reads a half-written request. The daemon moves each request it has fully
/// recorded to `inbox/done`, and each it cannot use to `inbox/rejected` beside a note
/// saying why; a request whose job could not be recorded stays put and is offered again.
public struct Inbox: Sendable {
    public var layout: DatalakeLayout

    public init(layout: DatalakeLayout) { self.layout = layout }

    /// Writes a request for the daemon; returns the file's path.
    @discardableResult
    public func submit(_ request: IngestRequest) throws -> String {
        try FileManager.default.createDirectory(atPath: layout.inbox, withIntermediateDirectories: true)
        let name = "\(Self.timestamp())-\(request.requestID).json"
        let final = "\(layout.inbox)/\(name)"
        let temporary = "\(layout.inbox)/.\(name).tmp"
        try JSONEncoder.vidpipe.encode(request).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, final) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: final])
        }
        return final
    }

    /// Request files waiting, oldest first (names start with a sortable timestamp).
    public func pending() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.inbox)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { "\(layout.inbox)/\($0)" }
    }

    /// Reads and validates a request file.
    public func read(_ path: String) throws(IngestError) -> IngestRequest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IngestError(.notReadable, path: path, "cannot read the request file")
        }
        return try IngestRequest.decode(data, origin: path)
    }

    /// Files a request as handled.
    public func markDone(_ path: String) {
        move(path, to: layout.inboxDone)
    }

    /// Files a request as unusable, with the reason beside it.
    public func markRejected(_ path: String, reason: String) {
        move(path, to: layout.inboxRejected)
        let note = "\(layout.inboxRejected)/\((path as NSString).lastPathComponent).error.txt"
        try? Data((reason + "\n").utf8).write(to: URL(fileURLWithPath: note))
    }

    private func move(_ path: String, to folder: String) {
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = rename(path, "\(folder)/\((path as NSString).lastPathComponent)")
    }

    private static func timestamp() -> String {
        let now = Date().timeIntervalSince1970
        return String(format: "%013.0f", now * 1000)
    }
}
