/// Serialises jobs that carry the same content, so dedup and the gold commit see each
/// other: of two identical files processed at once, the second waits for the first to be
/// recorded, then finds it in the catalog and becomes its duplicate.
actor ContentClaims {
    private var held: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    func claim(_ hash: ContentHash) async {
        while held.contains(hash.hex) {
            await withCheckedContinuation { waiters[hash.hex, default: []].append($0) }
        }
        held.insert(hash.hex)
    }

    func release(_ hash: ContentHash) {
        held.remove(hash.hex)
        for waiter in waiters.removeValue(forKey: hash.hex) ?? [] { waiter.resume() }
    }
}
