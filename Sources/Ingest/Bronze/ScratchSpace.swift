import Foundation
import Logging
import Scheduler
import Synchronization

/// The local folder where jobs download their `s3://` sources: `<scratch>/<job id>/`, made
/// when a job first needs it and removed when the job ends, however it ends.
///
/// A job holds an exclusive `flock` on `<scratch>/<job id>.lock` while its folder exists. The
/// kernel drops the lock when the process dies, so ``removeLeftovers(logger:)`` at start
/// removes what killed processes left and never a live job's folder, even when several
/// daemons share the scratch folder. Downloads share a byte budget (`VIDPIPE_SCRATCH_MAX_BYTES`):
/// each waits until its object fits.
final class ScratchSpace: Sendable {
    let root: String
    /// Nil when the scratch space is not bounded.
    private let budget: WeightedSemaphore?
    private let leases = Mutex<[String: Lease]>([:])

    init(root: String, maxBytes: Int64?) {
        self.root = root
        budget = maxBytes.map { WeightedSemaphore(capacity: Int(max(1, $0))) }
    }

    /// Refuses an object bigger than the whole budget: it could never be downloaded.
    func checkFits(_ bytes: Int64, for path: String) throws(IngestError) {
        guard let budget, bytes > Int64(budget.capacity) else { return }
        throw IngestError(.fileTooLarge, path: path,
                          "is \(bytes) bytes, more than the whole scratch space it must be downloaded into (VIDPIPE_SCRATCH_MAX_BYTES=\(budget.capacity))",
                          hint: "raise VIDPIPE_SCRATCH_MAX_BYTES, or set it to 0 for no bound")
    }

    /// The job's folder, made on first use.
    func lease(for jobID: String) throws(IngestError) -> Lease {
        let lease = try leases.withLock { leases throws(IngestError) -> Lease in
            if let lease = leases[jobID] { return lease }
            guard let lease = Lease(root: root, jobID: jobID, budget: budget) else {
                throw IngestError(.ioError, path: root + "/" + jobID, "cannot create the job's scratch folder or its lock file",
                                  hint: "check that VIDPIPE_SCRATCH names a writable folder", isRetryable: true)
            }
            leases[jobID] = lease
            return lease
        }
        return lease
    }

    /// Removes the job's folder and gives back its share of the budget; nothing to do for a
    /// job that downloaded nothing.
    func end(jobID: String) {
        leases.withLock { $0.removeValue(forKey: jobID) }?.end()
    }

    /// Removes the folders of jobs whose process died before it could; call at start.
    func removeLeftovers(logger: Logger) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        // Job ids are UUIDs; anything else in the folder (silver staging) belongs to others.
        let jobIDs = Set(entries.map { $0.hasSuffix(".lock") ? String($0.dropLast(".lock".count)) : $0 }.filter { UUID(uuidString: $0) != nil })
        for jobID in jobIDs.sorted() where leases.withLock({ $0[jobID] == nil }) {
            guard let lease = Lease(root: root, jobID: jobID, budget: nil, makeFolder: false) else { continue }
            lease.end()
            logger.notice("removed the scratch folder of a job whose process died", metadata: [LogKeys.job: "\(jobID)"])
        }
    }

    /// One job's folder, its lock, and the budget it holds.
    final class Lease: Sendable {
        let folder: String
        private let lockPath: String
        private let descriptor: Int32
        private let budget: WeightedSemaphore?
        private let reserved = Mutex(0)

        /// Takes the lock without waiting; nil when another live process holds it or the
        /// folder cannot be made.
        init?(root: String, jobID: String, budget: WeightedSemaphore?, makeFolder: Bool = true) {
            folder = root + "/" + jobID
            lockPath = folder + ".lock"
            self.budget = budget
            try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { return nil }
            // The lock must be on the file still at that path: a cleanup that unlinked it
            // between our open and flock would leave us holding a lock nobody else can see.
            var held = stat(), named = stat()
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0, fstat(descriptor, &held) == 0, stat(lockPath, &named) == 0,
                  held.st_ino == named.st_ino, !makeFolder || mkdir(folder, 0o700) == 0 || errno == EEXIST
            else {
                close(descriptor)
                return nil
            }
        }

        deinit { close(descriptor) }

        /// Waits until `bytes` fit in the scratch budget and holds them until ``end()``; a
        /// second call (a retried download) replaces the first reservation. Check
        /// ``ScratchSpace/checkFits(_:for:)`` first: a weight above the budget waits for all of it.
        func reserve(_ bytes: Int64, for path: String) async throws(IngestError) {
            guard let budget else { return }
            budget.release(reserved.withLock { held in defer { held = 0 }; return held })
            do {
                let taken = try await budget.acquire(Int(bytes))
                reserved.withLock { $0 = taken }
            } catch {
                throw IngestError(.interrupted, path: path, "the job was cancelled while waiting for room in the scratch space")
            }
        }

        /// Removes the folder and the lock file, and gives back the reservation.
        func end() {
            try? FileManager.default.removeItem(atPath: folder)
            unlink(lockPath)
            budget?.release(reserved.withLock { held in defer { held = 0 }; return held })
        }
    }
}
