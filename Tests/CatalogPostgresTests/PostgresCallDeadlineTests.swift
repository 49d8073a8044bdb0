import Catalog
import CatalogPostgres
import Foundation
import Testing
import VidpipeTestSupport

/// A server that accepts connections and never answers (every process stopped with
/// SIGSTOP) must not hang the catalog: the call fails within its deadline with a retryable
/// error, and the same catalog works again once the server does.
@Suite(.serialized, .enabled(if: PostgresTestServer.shouldRun, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresCallDeadlineTests {
    @Test func aHungServerFailsTheCallWithinItsDeadlineAndTheCatalogRecovers() async throws {
        try await TestDatabase.with { database in
            let catalog = try await database.catalog(callDeadline: .seconds(1))
            #expect(try await catalog.video(id: "warm-up") == nil)

            let frozen = try FrozenPostgres()
            // A safety net for a broken deadline: the call would otherwise wait forever.
            let safetyNet = Task {
                try await Task.sleep(for: .seconds(20))
                frozen.thaw()
            }
            let clock = ContinuousClock()
            let started = clock.now
            let outcome: Result<VideoRecord?, any Error> = await attempt { try await catalog.video(id: "during-the-freeze") }
            let waited = clock.now - started
            frozen.thaw()
            safetyNet.cancel()

            guard case .failure(let error) = outcome else {
                Issue.record("the call answered while the server was frozen")
                return
            }
            let catalogError = try #require(error as? CatalogError, "\(error)")
            #expect(catalogError.isRetryable, "\(catalogError)")
            // An upper bound only (the deadline is 1 s): without it the call hangs until thawed.
            #expect(waited < .seconds(10), "the call took \(waited)")

            // Thawed, the server answers again: the same catalog serves the next call (the
            // first may still meet the connection the deadline gave up on).
            var answer: Result<VideoRecord?, any Error> = .failure(CancellationError())
            for _ in 0..<30 {
                answer = await attempt { try await catalog.video(id: "after-the-freeze") }
                if case .success = answer { break }
                try await Task.sleep(for: .seconds(1))
            }
            #expect(try answer.get() == nil)
            try await catalog.close()
        }
    }

    private func attempt<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }
}
