/// Serialises jobs that carry the same content, so dedup and the gold commit see each
/// other: of two identical files processed at once, the second waits until the first is
/// recorded, then finds it in the catalog and becomes its duplicate.
///
/// Within one batch (the files of one `vidpipe process` call) the original is the file
/// named first, however the hashing races: a batch's job claims only once every job of
/// the batch admitted before it has other content or has ended. Those jobs hold job slots
/// already (admission goes in order), so the wait always ends. Jobs outside a batch (one
/// request at a time from Kafka or the inbox) never wait for another's hashing.
actor ContentClaims {
    /// Live batch jobs in admission order, each with its content hash once it has one.
    private var admitted: [(job: String, batch: String, hash: String?)] = []
    /// Content hash → the job holding it.
    private var holders: [String: String] = [:]
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Enters `job` in its batch's admission order; call before its tasks start.
    func admit(_ job: String, batch: String) {
        admitted.append((job, batch, nil))
    }

    /// Waits until every job admitted earlier either has other content or has ended, and
    /// no other job holds `hash`; then holds it for `job`. Claiming again for the same job
    /// (a retried dedup task) returns at once.
    func claim(_ hash: ContentHash, for job: String) async {
        if let index = admitted.firstIndex(where: { $0.job == job }) {
            admitted[index].hash = hash.hex
            wakeWaiters()
        }
        while !mayClaim(hash.hex, for: job) {
            await withCheckedContinuation { waiters.append($0) }
        }
        holders[hash.hex] = job
    }

    /// Releases what `job` holds and leaves the admission order, once the job has ended
    /// (recorded or not).
    func release(heldBy job: String) {
        admitted.removeAll { $0.job == job }
        for (hash, holder) in holders where holder == job {
            holders.removeValue(forKey: hash)
        }
        wakeWaiters()
    }

    private func mayClaim(_ hash: String, for job: String) -> Bool {
        if let holder = holders[hash], holder != job { return false }
        guard let batch = admitted.first(where: { $0.job == job })?.batch else { return true }
        for earlier in admitted.prefix(while: { $0.job != job })
        where earlier.batch == batch && (earlier.hash == nil || earlier.hash == hash) {
            return false
        }
        return true
    }

    private func wakeWaiters() {
        let woken = waiters
        waiters.removeAll()
        for waiter in woken { waiter.resume() }
    }
}
