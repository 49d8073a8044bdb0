import Catalog
import Execution
import Foundation
import Logging
import ObjectStorage

/// The lake in an S3-compatible store, under the same layout as on disk
/// (`bronze/sha256/ab/<hash>/…`, `silver/<video id>/…`). Jobs work in local scratch: bronze
/// is copied into the job's staging folder, hashed bytes and all, and uploaded from there;
/// silver is written there and uploaded before gold's commit, so the catalog never names an
/// object that is not completely in the store. The job's local files go when it ends.
///
/// Uploads that no commit followed are found by their markers. Before its first silver
/// upload a job writes `pending/<video id>/<unix time>`, and writes a newer one (removing the
/// older) right before its commit; after the commit the markers go. A marker stays only when
/// the job failed or died in between. A failed job deletes its objects at once; a killed one
/// leaves them to the sweep (``recover(catalog:logger:)``, on every start of every daemon),
/// which removes `silver/<video id>/` and the markers of a video the catalog does not know
/// once its newest marker is older than ``abandonedAfter``: longer than a live job can go
/// between two markers (an upload or a commit attempt is bounded by the task timeout, the
/// wait between attempts by 5 s), so several daemons sharing the bucket and catalog never
/// delete each other's live work. A job whose markers vanished (a sweep took it for dead)
/// refuses to commit, so its objects can never be named by the catalog after a sweep.
/// Hosts' clocks must agree to well within the task timeout.
///
/// Bronze objects are content-addressed and may be shared by jobs; as on disk, they stay.
struct ObjectStoreLake: LakeStore {
    let layout: DatalakeLayout
    let client: S3Client
    /// `s3://bucket/prefix` of the lake.
    let root: S3Location
    /// A marker older than this belongs to a job that is no longer running.
    let abandonedAfter: Duration

    init(configuration: IngestConfiguration) throws(IngestError) {
        layout = configuration.layout
        guard let storage = configuration.objectStorage else {
            throw IngestError(IngestError.Code(rawValue: S3Error.Code.storageInvalidLocation.description), path: layout.root,
                              "is in object storage, but no S3 credentials are configured",
                              hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a store other than AWS)")
        }
        client = S3Client(configuration: storage)
        do {
            root = try S3Location(uri: layout.root)
        } catch {
            throw Self.lakeError(error, path: layout.root, hint: "fix VIDPIPE_DATALAKE")
        }
        abandonedAfter = .seconds(2 * configuration.taskTimeoutSeconds + 5)
    }

    // MARK: Bronze

    func stageBronze(_ file: ValidatedFile, hash: ContentHash, probeJSON: Data, sidecar: Sidecar?,
                     jobID: String) async throws -> StagedObject {
        // The same content-addressed layout, built locally in the job's staging folder first:
        // that local copy is what gets uploaded and what silver decodes.
        let local = BronzeStore(root: localBronzeRoot(jobID: jobID))
        let staged = try await DedicatedThread.run(name: "stage") { () throws(IngestError) in
            try local.stage(file, hash: hash, probeJSON: probeJSON, sidecar: sidecar)
        }
        let source = location(ofLocal: staged.sourcePath, under: local.root, in: "bronze")
        let existing = try await lakeCall { () async throws(S3Error) in try await client.head(source) }
        let probe = location(ofLocal: staged.probePath, under: local.root, in: "bronze")
        var uploads = [S3Client.FileUpload(path: staged.probePath, location: probe, contentType: "application/json")]
        if existing?.size != file.sizeBytes {
            uploads.append(S3Client.FileUpload(path: staged.sourcePath, location: source))
        }
        var sidecarLocation: S3Location?
        if let sidecarPath = staged.sidecarPath {
            let location = location(ofLocal: sidecarPath, under: local.root, in: "bronze")
            uploads.append(S3Client.FileUpload(path: sidecarPath, location: location, contentType: "application/json"))
            sidecarLocation = location
        }
        // Side by side: nothing names these objects until gold's commit.
        _ = try await lakeCall { () async throws(S3Error) in try await client.upload(uploads) }
        return StagedObject(sourcePath: source.description, probePath: probe.description, sidecarPath: sidecarLocation?.description,
                            linked: staged.linked, localSourcePath: staged.sourcePath)
    }

    /// Inside the job's staging folder, under a name silver never writes and never uploads.
    private func localBronzeRoot(jobID: String) -> String { layout.stagingFolder(jobID: jobID) + "/" + Self.localBronzeName }
    static let localBronzeName = ".bronze"

    // MARK: Silver

    func uploadSilver(jobID: String, videoID: String) async throws -> Int64 {
        let staged = layout.stagingFolder(jobID: jobID)
        let files = StagedFiles.paths(under: staged).filter { !$0.hasPrefix(Self.localBronzeName + "/") }
        guard !files.isEmpty else { return 0 }
        try await writeMarker(videoID: videoID)
        let folder = silverFolder(videoID: videoID)
        let uploads = files.map { relative in
            S3Client.FileUpload(path: staged + "/" + relative, location: folder.appending(relative), contentType: Self.contentType(of: relative))
        }
        let stored = try await lakeCall { () async throws(S3Error) in try await client.upload(uploads) }
        return stored.reduce(0) { $0 + $1.size }
    }

    func confirmUploads(videoID: String) async throws {
        let markers = try await lakeCall { () async throws(S3Error) in try await client.list(markerFolder(videoID: videoID)) }
        guard !markers.isEmpty else { return }  // nothing was uploaded
        try await writeMarker(videoID: videoID, replacing: markers.map(\.location))
        let after = try await lakeCall { () async throws(S3Error) in try await client.list(markerFolder(videoID: videoID)) }
        guard after.count == 1 else {
            throw IngestError(.ioError, path: silverFolder(videoID: videoID).description,
                              "the uploads of this job were taken for abandoned and swept while it ran (longer than \(abandonedAfter) between markers)",
                              hint: "the job runs again; raise VIDPIPE_TASK_TIMEOUT_SECONDS if uploads take that long", isRetryable: true)
        }
    }

    func publishSilver(jobID: String, videoID: String?) async throws {
        if let videoID {
            let markers = try await lakeCall { () async throws(S3Error) in try await client.list(markerFolder(videoID: videoID)) }
            for marker in markers { try await lakeCall { () async throws(S3Error) in try await client.delete(marker.location) } }
        }
        try? FileManager.default.removeItem(atPath: layout.stagingFolder(jobID: jobID))
    }

    func discardSilver(jobID: String, videoID: String) async {
        try? await deleteUploads(videoID: videoID)
        try? FileManager.default.removeItem(atPath: layout.stagingFolder(jobID: jobID))
    }

    /// Settles the local staging folders of jobs this host ran, then sweeps uploads that no
    /// commit followed (see the type's documentation).
    func recover(catalog: any Catalog, logger: Logger) async {
        await SilverStaging.recover(layout: layout, catalog: catalog, logger: logger) { jobID, videoID in
            try await publishSilver(jobID: jobID, videoID: videoID)
        }
        do {
            try await sweepAbandonedUploads(catalog: catalog, logger: logger)
        } catch {
            logger.warning("cannot sweep abandoned uploads in the lake; tried again on the next start",
                           metadata: [LogKeys.error: "\(error)"])
        }
    }

    private func sweepAbandonedUploads(catalog: any Catalog, logger: Logger) async throws {
        let markers = try await client.list(root.appending("pending/"))
        var newest: [String: Int] = [:]
        for marker in markers {
            let parts = marker.location.key.split(separator: "/").suffix(2)
            guard parts.count == 2, let stamp = Int(parts.last!) else { continue }
            let videoID = String(parts.first!)
            newest[videoID] = max(newest[videoID] ?? stamp, stamp)
        }
        let now = Int(Date().timeIntervalSince1970)
        for (videoID, stamp) in newest where now - stamp > Int(abandonedAfter.components.seconds) {
            if try await catalog.video(id: videoID) == nil {
                try await deleteUploads(videoID: videoID)
                logger.notice("removed the silver uploads of a job that died before its commit",
                              metadata: [LogKeys.video: "\(videoID)"])
            } else {
                // Recorded: only the markers were left (the job died right after its commit).
                for marker in try await client.list(markerFolder(videoID: videoID)) { try await client.delete(marker.location) }
            }
        }
    }

    /// Markers first, so a job still alive against all odds sees them gone and does not commit.
    private func deleteUploads(videoID: String) async throws {
        for marker in try await client.list(markerFolder(videoID: videoID)) { try await client.delete(marker.location) }
        for object in try await client.list(silverFolder(videoID: videoID).appending("")) { try await client.delete(object.location) }
    }

    private func writeMarker(videoID: String, replacing old: [S3Location] = []) async throws {
        let stamp = Int(Date().timeIntervalSince1970)
        let marker = markerFolder(videoID: videoID).appending("\(stamp)")
        try await lakeCall { () async throws(S3Error) in _ = try await client.upload(bytes: [], to: marker, contentType: "text/plain") }
        for location in old where location != marker {
            try await lakeCall { () async throws(S3Error) in try await client.delete(location) }
        }
    }

    // MARK: Places

    private func silverFolder(videoID: String) -> S3Location { root.appending("silver/" + videoID) }
    /// With a trailing slash, so listing `pending/<id>/` never picks up another id starting alike.
    private func markerFolder(videoID: String) -> S3Location { root.appending("pending/" + videoID + "/") }

    /// Where a file of the local copy of the layout goes: `<lake>/<layer>/<path below localRoot>`.
    private func location(ofLocal path: String, under localRoot: String, in layer: String) -> S3Location {
        root.appending(layer + String(path.dropFirst(localRoot.count)))
    }

    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "mp4", "m4v": "video/mp4"
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "webp": "image/webp"
        case "json": "application/json"
        case "html": "text/html; charset=utf-8"
        case "vtt": "text/vtt"
        case "m3u8": "application/vnd.apple.mpegurl"
        case "m4s": "video/iso.segment"
        default: "application/octet-stream"
        }
    }

    /// An object-store failure as the lake's error, keeping its code and whether to retry.
    private func lakeCall<Value>(_ call: () async throws(S3Error) -> Value) async throws(IngestError) -> Value {
        do {
            return try await call()
        } catch {
            throw Self.lakeError(error, path: layout.root)
        }
    }

    /// Keeps the store's code (`storage_unreachable`, `storage_credentials_rejected` …) and
    /// whether trying again may help, so an outage of the store is retried like any other.
    private static func lakeError(_ error: S3Error, path: String, hint: String? = nil) -> IngestError {
        var converted = IngestError(IngestError.Code(rawValue: error.code.description), path: path, error.message,
                                    hint: hint, isRetryable: error.isRetryable)
        converted.underlying = error
        return converted
    }
}
