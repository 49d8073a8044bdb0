import Catalog
import Foundation
import Logging

/// Where bronze objects and silver outputs are kept for good: a folder or an S3-compatible
/// store. Jobs work in local files either way (silver is staged in the job's staging folder,
/// see ``SilverStaging``); a lake store decides how those files reach the lake and when,
/// so that the catalog only ever names objects that are completely there.
///
/// The order a job follows: ``stageBronze(_:hash:probeJSON:sidecar:jobID:)``, silver into
/// the staging folder, ``uploadSilver(jobID:videoID:)`` before gold's commit,
/// ``confirmUploads(videoID:)`` right before it, ``publishSilver(jobID:videoID:)`` after it,
/// or ``discardSilver(jobID:videoID:)`` when the job is not recorded.
protocol LakeStore: Sendable {
    /// Stages the file's bytes under their hash with the probe (and sidecar) beside them;
    /// the result names the local file silver decodes. Idempotent per content.
    func stageBronze(_ file: ValidatedFile, hash: ContentHash, probeJSON: Data, sidecar: Sidecar?,
                     jobID: String) async throws -> StagedObject
    /// Makes the job's staged silver outputs durable where the catalog will name them, before
    /// the commit (nothing to do for a folder, where a rename after the commit publishes them).
    /// Returns their bytes, which publishing them adds to the lake (`vidpipe_bytes_out_total`).
    func uploadSilver(jobID: String, videoID: String) async throws -> Int64
    /// Called right before the commit: fails when the uploads can no longer be trusted.
    func confirmUploads(videoID: String) async throws
    /// After the commit: puts the outputs in their place for good and frees the staging folder.
    func publishSilver(jobID: String, videoID: String?) async throws
    /// Best effort, for a job that ended unrecorded: removes what it wrote to the lake.
    func discardSilver(jobID: String, videoID: String) async
    /// On start: settles what jobs killed earlier left behind, never touching a live job's work.
    func recover(catalog: any Catalog, logger: Logger) async
}

enum LakeStores {
    /// The folder lake, or the object-store lake when the root is `s3://`.
    static func make(for configuration: IngestConfiguration) throws(IngestError) -> any LakeStore {
        guard configuration.layout.isObjectStore else { return FolderLake(layout: configuration.layout) }
        return try ObjectStoreLake(configuration: configuration)
    }
}

/// The regular files of a job's staging folder, which both lakes publish.
enum StagedFiles {
    /// Regular files below `folder`, as paths relative to it, sorted.
    static func paths(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        return walker.compactMap { $0 as? String }.filter { relative in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }

    /// Their total size in bytes.
    static func bytes(of relativePaths: [String], in folder: String) -> Int64 {
        relativePaths.reduce(0) { total, relative in
            total + ((try? FileManager.default.attributesOfItem(atPath: folder + "/" + relative)[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }
}
