import Crypto
import Foundation
import Ingest

/// The folder-watcher producer's logic: polls a folder tree and turns created, modified
/// and deleted video files into requests.
///
/// Scans recursively, skipping hidden files and folders. A file is emitted only once it
/// looks finished: the same size and modification time on two polls in a row, and last
/// modified at least `settle` ago, so a file still being copied is left alone. Files
/// present at the first poll are the baseline and are not emitted unless
/// `emitExisting` is set. A `<name>.json` sidecar next to a video is attached to its
/// request as metadata.
public struct FolderWatcher: Sendable {
    /// Video file extensions the watcher reacts to (lowercase).
    public static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "mkv", "avi", "webm", "mxf", "ts", "mts", "m2ts", "mpg", "mpeg", "wmv", "flv", "3gp", "ogv",
    ]

    /// What a file looked like at one poll.
    struct Snapshot: Equatable, Sendable {
        var size: Int64
        var modified: Date
    }

    public let root: String
    /// How long a file must have been left untouched before it is emitted.
    public let settle: Duration
    let emitExisting: Bool
    let email: String?
    /// Last poll's view of every video file.
    private var seen: [String: Snapshot] = [:]
    /// What was last emitted for each file still present.
    private var emitted: [String: Snapshot] = [:]
    private var firstPoll = true

    public init(root: String, settle: Duration = .seconds(1), emitExisting: Bool = false, email: String? = nil) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        self.settle = settle
        self.emitExisting = emitExisting
        self.email = email
    }

    /// One poll: the requests for what changed since the last one.
    public mutating func poll(now: Date = Date()) -> [IngestRequest] {
        let current = scan()
        defer {
            seen = current
            firstPoll = false
        }
        if firstPoll, !emitExisting {
            // The baseline: what is already there was handled before the watcher started.
            emitted = current
            return []
        }
        var requests: [IngestRequest] = []
        for (path, snapshot) in current.sorted(by: { $0.key < $1.key }) {
            let stable = seen[path] == snapshot && now.timeIntervalSince(snapshot.modified) >= settle.seconds
            guard stable, emitted[path] != snapshot else { continue }
            let event: IngestRequest.FileEvent = emitted[path] == nil ? .created : .modified
            emitted[path] = snapshot
            requests.append(request(path: path, event: event, snapshot: snapshot))
        }
        for (path, snapshot) in emitted.sorted(by: { $0.key < $1.key }) where current[path] == nil {
            emitted[path] = nil
            requests.append(request(path: path, event: .deleted, snapshot: snapshot))
        }
        return requests
    }

    private func request(path: String, event: IngestRequest.FileEvent, snapshot: Snapshot) -> IngestRequest {
        // The same file state gives the same request id, so a re-emitted event is recognised.
        let identity = "\(event.rawValue)|\(path)|\(snapshot.size)|\(snapshot.modified.timeIntervalSince1970)"
        let digest = SHA256.hash(data: Data(identity.utf8)).map { String(format: "%02x", $0) }.joined()
        let metadata = event == .deleted ? nil : Self.sidecarMetadata(for: path)
        return IngestRequest(path: path, requestID: "watch-\(digest.prefix(32))", email: email, metadata: metadata, event: event)
    }

    /// The sidecar's JSON object, when there is a readable one; a broken sidecar is left
    /// for bronze, which rejects it with `invalid_sidecar`.
    static func sidecarMetadata(for video: String) -> JSONValue? {
        for candidate in Sidecar.candidates(for: video) {
            guard let data = FileManager.default.contents(atPath: candidate), data.count <= Sidecar.maximumBytes else { continue }
            if let value = try? JSONDecoder().decode(JSONValue.self, from: data), case .object = value { return value }
        }
        return nil
    }

    private func scan() -> [String: Snapshot] {
        var found: [String: Snapshot] = [:]
        let keys: [URLResourceKey] = [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey]
        guard let walker = FileManager.default.enumerator(
            at: URL(fileURLWithPath: root), includingPropertiesForKeys: keys, options: [.skipsHiddenFiles])
        else { return found }
        for case let url as URL in walker where Self.videoExtensions.contains(url.pathExtension.lowercased()) {
            guard let values = try? url.resourceValues(forKeys: Set(keys)), values.isRegularFile == true,
                  let size = values.fileSize, let modified = values.contentModificationDate
            else { continue }
            found[url.standardizedFileURL.path] = Snapshot(size: Int64(size), modified: modified)
        }
        return found
    }
}
