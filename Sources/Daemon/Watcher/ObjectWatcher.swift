import Crypto
import Foundation
import Ingest
import ObjectStorage

/// The S3 watcher's logic: compares each listing of a prefix with the last one and turns
/// created, overwritten and deleted video objects into requests naming their `s3://` URIs.
///
/// It keeps key → (ETag, size). The store shows an object only once it is completely
/// written, so there is nothing to let settle as with files. The prefix is taken as a
/// folder (`s3://b/in` watches `in/…`, not `inbox/…`); `.json` sidecars and other
/// non-video keys are skipped, as are hidden ones (a segment starting with `.`). Objects
/// present at the first listing are the baseline, not emitted unless `emitExisting` is set.
///
/// Feed it complete listings only: a listing that failed part-way must be dropped, not
/// passed in, or the objects it missed would look deleted.
public struct ObjectWatcher: Sendable {
    /// What an object looked like in one listing.
    struct Snapshot: Equatable, Sendable {
        var etag: String
        var size: Int64
    }

    /// The watched prefix, as a folder.
    public let prefix: S3Location
    let emitExisting: Bool
    let email: String?
    /// What was last emitted for each object still present, by key.
    private var emitted: [String: Snapshot] = [:]
    private var firstListing = true

    public init(prefix: S3Location, emitExisting: Bool = false, email: String? = nil) {
        var folder = prefix
        if !folder.key.isEmpty, !folder.key.hasSuffix("/") { folder.key += "/" }
        self.prefix = folder
        self.emitExisting = emitExisting
        self.email = email
    }

    /// The requests for what changed since the last listing.
    public mutating func changes(in listing: [S3Client.ObjectInfo]) -> [IngestRequest] {
        var current: [String: Snapshot] = [:]
        for object in listing where object.location.bucket == prefix.bucket && object.location.key.hasPrefix(prefix.key) && Self.isVideo(object.location.key) {
            current[object.location.key] = Snapshot(etag: object.etag, size: object.size)
        }
        defer { firstListing = false }
        if firstListing, !emitExisting {
            emitted = current
            return []
        }
        var requests: [IngestRequest] = []
        for (key, snapshot) in current.sorted(by: { $0.key < $1.key }) where emitted[key] != snapshot {
            requests.append(request(key: key, event: emitted[key] == nil ? .created : .modified, snapshot: snapshot))
            emitted[key] = snapshot
        }
        for (key, snapshot) in emitted.sorted(by: { $0.key < $1.key }) where current[key] == nil {
            emitted[key] = nil
            requests.append(request(key: key, event: .deleted, snapshot: snapshot))
        }
        return requests
    }

    /// A key the folder watcher would react to as a file: a video extension, nothing hidden.
    static func isVideo(_ key: String) -> Bool {
        let segments = key.split(separator: "/")
        guard let name = segments.last, !segments.contains(where: { $0.hasPrefix(".") }), let dot = name.lastIndex(of: ".") else { return false }
        return FolderWatcher.videoExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    private func request(key: String, event: IngestRequest.FileEvent, snapshot: Snapshot) -> IngestRequest {
        let uri = S3Location(bucket: prefix.bucket, key: key).description
        // The same object state gives the same request id, so a re-emitted event is recognised.
        let identity = "\(event.rawValue)|\(uri)|\(snapshot.size)|\(snapshot.etag)"
        let digest = SHA256.hash(data: Data(identity.utf8)).map { String(format: "%02x", $0) }.joined()
        return IngestRequest(path: uri, requestID: "watch-\(digest.prefix(32))", email: email, event: event)
    }
}
