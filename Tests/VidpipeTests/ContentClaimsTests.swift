@testable import Ingest
import Synchronization
import Testing

/// The claim order behind deterministic duplicates, driven directly: which job of a batch
/// hashes first must not decide which one becomes the original.
@Suite struct ContentClaimsTests {
    private let hash = ContentHash(hex: String(repeating: "ab", count: 32))

    @Test func aLaterBatchJobThatHashedFirstWaitsForTheEarlierOne() async throws {
        let claims = ContentClaims()
        await claims.admit("first", batch: "one call")
        await claims.admit("second", batch: "one call")
        let order = Mutex<[String]>([])
        let second = Task {
            await claims.claim(hash, for: "second")
            order.withLock { $0.append("second") }
        }
        // Proving that something does not happen needs a wait: the second job must still
        // be waiting while the first, admitted before it, has not hashed.
        try await Task.sleep(for: .milliseconds(300))
        let claimedTooEarly = !order.withLock { $0 }.isEmpty
        #expect(!claimedTooEarly, "the later job claimed before the earlier one had hashed")
        // A waiting claim cannot be cancelled: let the test end with the failure, not hang.
        if claimedTooEarly { await claims.release(heldBy: "second") }

        await claims.claim(hash, for: "first")
        order.withLock { $0.append("first") }
        await claims.release(heldBy: "first")
        await second.value
        #expect(order.withLock { $0 } == ["first", "second"])
    }

    @Test func otherContentOrAnotherBatchDoesNotWait() async {
        let claims = ContentClaims()
        await claims.admit("first", batch: "one call")
        await claims.admit("second", batch: "one call")
        await claims.claim(ContentHash(hex: String(repeating: "cd", count: 32)), for: "first")
        // The earlier job holds other content: the later one claims at once.
        await claims.claim(hash, for: "second")
        await claims.release(heldBy: "second")
        // A job outside any batch (Kafka, inbox) never waits for another's hashing.
        await claims.admit("third", batch: "another call")
        await claims.claim(hash, for: "lone request")
        await claims.release(heldBy: "lone request")
        await claims.release(heldBy: "first")
        await claims.release(heldBy: "third")
    }
}
