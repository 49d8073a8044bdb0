/// Serialises jobs that carry the same content, so dedup and the gold commit see each
/// other: of two identical files processed at once, the second waits for the first to be
/// recorded, then finds it in the catalog and becomes its duplicate.
actor ContentClaims {
    /// Content hash → the job holding it.
    private var holders: [String: String] = [:]
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until no other job holds `hash`, then holds it for `job`. Claiming again for
    /// the same job (a retried dedup task) returns at once.
    func claim(_ hash: ContentHash, for job: String) async {
        while let holder = holders[hash.hex], holder != job {
            await withCheckedContinuation { waiters[hash.hex, default: []].append($0) }
        }
        holders[hash.hex] = job
    }

    /// Releases what `job` holds, once the job has ended (recorded or not).
    func release(heldBy job: String) {
        for (hash, holder) in holders where holder == job {
            holders.removeValue(forKey: hash)
            for waiter in waiters.removeValue(forKey: hash) ?? [] { waiter.resume() }
        }
    }
}
