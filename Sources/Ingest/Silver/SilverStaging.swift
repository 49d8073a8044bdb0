import Catalog
import Foundation
import Logging
import Media

/// Silver outputs are written into a job's own staging folder and become visible under
/// `silver/<video id>/` only once gold has recorded them, so a job that fails or is killed
/// never leaves a folder that no catalog row points to.
///
/// The order is commit, then rename. A crash between the two leaves a staged folder whose
/// job is recorded: ``recover(layout:catalog:logger:)`` finishes the rename on the next
/// start, and deletes staged folders whose job was never recorded. A running job holds an
/// exclusive `flock` on `<job id>.lock`, which the kernel drops when the process dies, so
/// recovery in one process never touches another process's live job.
enum SilverStaging {
    /// The job's lease on its staging folder, taken before the folder exists.
    final class Lease: Sendable {
        let folder: String
        private let lockPath: String
        private let descriptor: Int32

        /// Takes the lock without waiting; nil when another live process holds it.
        init?(layout: DatalakeLayout, jobID: String) {
            folder = layout.stagingFolder(jobID: jobID)
            lockPath = folder + ".lock"
            try? FileManager.default.createDirectory(atPath: layout.staging, withIntermediateDirectories: true)
            descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { return nil }
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                close(descriptor)
                return nil
            }
        }

        /// Ends the lease. The outputs stay only when `publishing`: a job recorded with a
        /// video, whose outputs recovery publishes if gold could not (none are left once it
        /// has). Any other job's are removed now, as recovery would remove them: an
        /// unrecorded job's, and a recorded failure's (e.g. a stream that failed its check).
        func end(publishing: Bool) {
            if !publishing { try? FileManager.default.removeItem(atPath: folder) }
            unlink(lockPath)
        }

        deinit { close(descriptor) }
    }

    /// Moves a recorded job's staged outputs to their place in the lake.
    static func publish(jobID: String, videoID: String, layout: DatalakeLayout) throws(IngestError) {
        let staged = layout.stagingFolder(jobID: jobID)
        let final = layout.silverFolder(videoID: videoID)
        guard FileManager.default.fileExists(atPath: staged) else { return }
        do {
            try FileManager.default.createDirectory(atPath: layout.silver, withIntermediateDirectories: true)
            try FileManager.default.moveItem(atPath: staged, toPath: final)
        } catch {
            throw IngestError(.ioError, path: staged, "cannot move the silver outputs to \(final): \(error.localizedDescription)",
                              isRetryable: true)
        }
    }

    /// Finishes or discards what crashed jobs left in the staging folder; skips live jobs.
    /// `publish` finishes a recorded job's publication the way its lake does it.
    static func recover(layout: DatalakeLayout, catalog: any Catalog, logger: Logger,
                        publish: (_ jobID: String, _ videoID: String) async throws -> Void) async {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: layout.staging)) ?? []
        for jobID in entries where !jobID.hasSuffix(".lock") {
            guard let lease = Lease(layout: layout, jobID: jobID) else { continue }
            do {
                if let videoID = try await catalog.job(id: jobID)?.videoID,
                   try await catalog.video(id: videoID) != nil {
                    try await publish(jobID, videoID)
                    logger.notice("published the silver outputs of a recorded job that stopped before moving them",
                                  metadata: [LogKeys.job: "\(jobID)", LogKeys.video: "\(videoID)"])
                    lease.end(publishing: true)
                } else {
                    logger.notice("removed the staged silver outputs of a job that was never recorded",
                                  metadata: [LogKeys.job: "\(jobID)"])
                    lease.end(publishing: false)
                }
            } catch {
                // The catalog cannot tell yet: keep the folder for the next start.
                logger.warning("cannot check a staged job against the catalog; kept for later",
                               metadata: [LogKeys.job: "\(jobID)", LogKeys.error: "\(error)"])
            }
        }
    }
}

extension MediaPassResult {
    /// The same result with every output path moved from `staged` to `final`: what the
    /// reports and the catalog record, so they name files where they will be read.
    func relocated(from staged: String, to final: String) -> MediaPassResult {
        func move(_ path: String) -> String {
            path.hasPrefix(staged + "/") ? final + path.dropFirst(staged.count) : path
        }
        var result = self
        result.renditions = renditions.map { rendition in
            var moved = rendition
            moved.path = move(rendition.path)
            return moved
        }
        if var stream = result.stream {
            stream.masterPath = move(stream.masterPath)
            stream.dashManifestPath = stream.dashManifestPath.map(move)
            result.stream = stream
        }
        if var thumbnails = result.thumbnails {
            thumbnails.posterPath = move(thumbnails.posterPath)
            thumbnails.spritePath = move(thumbnails.spritePath)
            thumbnails.storyboardPath = move(thumbnails.storyboardPath)
            result.thumbnails = thumbnails
        }
        return result
    }
}
