import Foundation
import ObjectStorage

/// Bronze step (a) for an `s3://bucket/key` source: the object is confined to the allowed
/// roots, looked at (HEAD), then downloaded into the job's scratch folder with its SHA-256
/// computed on the way. Every later task reads the local copy, so probe, decode and staging
/// work as for a local file, and the checksum task reads nothing again.
struct ObjectSource: Sendable {
    /// Nil when no credentials are configured: every `s3://` source then fails with a
    /// message naming the variables to set.
    let client: S3Client?
    let validator: FileValidator
    let scratch: ScratchSpace

    /// The object an `s3://` request path names. `..` and `.` segments are refused as path
    /// traversal whatever they would resolve to, as for local paths; a bucket or a "folder"
    /// (a key ending in `/`) is no object. Errors name `origin`, the request's source.
    static func location(of uri: String, origin: String) throws(IngestError) -> S3Location {
        let key = uri.dropFirst("s3://".count).drop { $0 != "/" }
        if key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." }) {
            throw IngestError(.pathTraversal, path: origin, "\(uri) contains a \"..\" or \".\" segment; request paths may not climb out of their folder")
        }
        let location: S3Location
        do { location = try S3Location(uri: uri) } catch {
            throw IngestError(.invalidRequest, path: origin, "field \"path\" is not a usable s3:// URI: \(error.message)",
                              hint: "send s3://bucket/key, the key without empty segments")
        }
        guard !location.key.isEmpty, !location.key.hasSuffix("/") else {
            throw IngestError(.invalidRequest, path: origin, "field \"path\" (\(uri)) names a bucket or a folder, not an object",
                              hint: "send the object's full key, e.g. s3://\(location.bucket)/incoming/clip.mp4")
        }
        return location
    }

    /// Checks, downloads and hashes the object for job `jobID`; the result names the
    /// object by its URI and the local copy as the file to read.
    func fetch(_ uri: String, confined: Bool, jobID: String) async throws(IngestError) -> ValidatedFile {
        let location = try Self.location(of: uri, origin: uri)
        if confined { try validator.confine(location, uri: uri) }
        let client = try requireClient(for: uri)
        guard let before = try await Self.mapped(uri, { () async throws(S3Error) in try await client.head(location) }) else {
            throw IngestError(.fileNotFound, path: uri, "no such object in the store", hint: "check the bucket and key; the object may have been moved or deleted")
        }
        guard before.size > 0 else {
            throw IngestError(.emptyFile, path: uri, "is empty (0 bytes)", hint: "the upload probably failed: upload the object again")
        }
        guard before.size <= validator.maxFileBytes else {
            throw IngestError(.fileTooLarge, path: uri, "is \(before.size) bytes, over the \(validator.maxFileBytes)-byte limit (VIDPIPE_MAX_FILE_BYTES)")
        }
        try scratch.checkFits(before.size, for: uri)
        let lease = try scratch.lease(for: jobID)
        try await lease.reserve(before.size, for: uri)
        let local = lease.folder + "/" + Self.localName(of: location)
        let download = try await Self.mapped(uri, { () async throws(S3Error) in try await client.download(location, to: local) })
        // An object overwritten while it was read gives bytes of neither version: look again.
        let after = try await Self.mapped(uri, { () async throws(S3Error) in try await client.head(location) })
        guard download.size == before.size, after?.size == before.size, after?.etag == before.etag else {
            let now = after.map { "\($0.size) bytes, ETag \($0.etag)" } ?? "deleted"
            throw IngestError(.fileChanged, path: uri, "changed while it was downloaded (\(before.size) bytes, ETag \(before.etag) → \(now))",
                              hint: "wait until the object is completely written, then send it again", isRetryable: true)
        }
        return ValidatedFile(requestedPath: uri, resolvedPath: local, sizeBytes: download.size, modifiedAt: Date(), contentSHA256: download.sha256)
    }

    /// The sidecar beside the object (`clip.json`, then `clip.mp4.json`), downloaded into the
    /// job's scratch folder: its URI and its bytes, or nil when there is none. A candidate
    /// outside the allowed roots is not looked at.
    func fetchSidecar(of video: ValidatedFile, confined: Bool, jobID: String) async throws(IngestError) -> (uri: String, data: Data)? {
        let client = try requireClient(for: video.requestedPath)
        for candidate in Sidecar.candidates(for: video.requestedPath) {
            guard let location = try? Self.location(of: candidate, origin: candidate) else { continue }
            if confined, (try? validator.confine(location, uri: candidate)) == nil { continue }
            guard let object = try await Self.mapped(candidate, { () async throws(S3Error) in try await client.head(location) }) else { continue }
            guard object.size <= Int64(Sidecar.maximumBytes) else {
                throw IngestError(.invalidSidecar, path: candidate, "sidecar is \(object.size) bytes; the limit is \(Sidecar.maximumBytes)")
            }
            let local = try scratch.lease(for: jobID).folder + "/sidecar.json"
            _ = try await Self.mapped(candidate, { () async throws(S3Error) in try await client.download(location, to: local) })
            guard let data = FileManager.default.contents(atPath: local) else {
                throw IngestError(.notReadable, path: candidate, "cannot read the downloaded sidecar at \(local)", isRetryable: true)
            }
            return (candidate, data)
        }
        return nil
    }

    private func requireClient(for uri: String) throws(IngestError) -> S3Client {
        guard let client else {
            throw IngestError(.objectStorageNotConfigured, path: uri, "names an object in S3, but no object store is configured",
                              hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a store other than AWS, AWS_REGION if not us-east-1)")
        }
        return client
    }

    /// The local copy's name: the key's last segment when it makes a safe file name (so the
    /// extension stays for the probe), else `source` with the extension alone.
    static func localName(of location: S3Location) -> String {
        let name = String(location.key.split(separator: "/").last ?? "source")
        if name.utf8.count <= 200, !name.hasPrefix("."), name != "sidecar.json" { return name }
        let dot = name.lastIndex(of: ".").map { String(name[$0...]) } ?? ""
        return "source" + (dot.utf8.count <= 16 ? dot : "")
    }

    /// Runs a store request; its failure becomes an ``IngestError`` on the source with the
    /// store's own code (`storage_unreachable`, `storage_credentials_rejected`, …) and retry flag.
    private static func mapped<Value>(_ uri: String, _ request: () async throws(S3Error) -> Value) async throws(IngestError) -> Value {
        do {
            return try await request()
        } catch {
            var mapped = IngestError(IngestError.Code(rawValue: error.code.description), path: uri, error.message, isRetryable: error.isRetryable)
            if error.code == .storageBucketMissing || error.code == .storageObjectMissing { mapped.code = .fileNotFound }
            mapped.underlying = error
            throw mapped
        }
    }
}
