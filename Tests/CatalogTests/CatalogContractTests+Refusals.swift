import Catalog
import Foundation
import Testing
import VidpipeTestSupport

/// The contract's refusals and failures: what a catalog does not store, and that it then
/// stores nothing at all.
extension CatalogContractTests {
    @Test(arguments: CatalogBackend.covered)
    func redeliveredRequestUnderANewJobIDIsRefused(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            try await catalog.commit(Fixture.batch())
            let redelivered = Fixture.batch(jobID: "job-9", requestID: "req-1", videoID: "video-9", contentHash: Fixture.sha256Like("b"))
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(redelivered) }
            #expect(error?.code == .duplicateRequest)
            #expect(error?.isRetryable == false)
            #expect(try await catalog.job(id: "job-9") == nil)
            #expect(try await catalog.video(contentSHA256: Fixture.sha256Like("b")) == nil)
            #expect(try await catalog.job(requestID: "req-1")?.id == "job-1")
            try await catalog.close()
            #expect(try store.oracle("SELECT id FROM jobs WHERE request_id = 'req-1'") == ["job-1"])
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func requestRacingUnderSeveralJobIDsIsRecordedOnce(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let batches = (0..<4).map { index in
                Fixture.batch(jobID: "job-\(index)", requestID: "req-same", videoID: "video-\(index)",
                              contentHash: String(format: "%064x", index))
            }
            let outcomes = await withTaskGroup(of: CatalogError.Code?.self) { group in
                for batch in batches {
                    group.addTask {
                        do { try await catalog.commit(batch); return nil } catch { return (error as? CatalogError)?.code ?? .queryFailed }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1)
            #expect(outcomes.filter { $0 == .duplicateRequest }.count == 3)
            try await catalog.close()
            #expect(try store.count("jobs", where: "request_id = 'req-same'") == 1)
            #expect(try store.count("videos") == 1)
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func batchFailingHalfwayIsRolledBackWhole(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let first = Fixture.batch()
            try await catalog.commit(first)

            // The video, streams and job insert fine; the repeated task run then breaks the primary key.
            var broken = Fixture.batch(jobID: "job-2", requestID: "req-2", videoID: "33333333-3333-3333-3333-333333333333",
                                       contentHash: Fixture.sha256Like("c"), sourcePath: "/inbox/other.mp4")
            broken.taskRuns.append(broken.taskRuns[0])
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(broken) }
            #expect(error?.code == .constraintViolation)
            #expect(error?.isRetryable == false)

            #expect(try await catalog.video(contentSHA256: Fixture.sha256Like("c")) == nil)
            #expect(try await catalog.streams(videoID: "33333333-3333-3333-3333-333333333333").isEmpty)
            #expect(try await catalog.job(id: "job-2") == nil)
            #expect(try await catalog.taskRuns(jobID: "job-2").isEmpty)
            #expect(try await catalog.job(id: "job-1") == first.job)
            #expect(try store.count("task_runs") == 3)
            #expect(try store.count("videos") == 1)

            // The connection is usable afterwards and the fixed batch goes in.
            broken.taskRuns.removeLast()
            try await catalog.commit(broken)
            #expect(try await catalog.job(id: "job-2") == broken.job)
            try await catalog.close()
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func foreignKeysAreEnforced(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let orphan = GoldBatch(job: JobRecord(id: "job-x", origin: "cli", sourcePath: "/x.mp4", state: .succeeded,
                                                  videoID: "no-such-video", createdAt: Fixture.date(1_700_000_000)))
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(orphan) }
            #expect(error?.code == .constraintViolation)
            try await catalog.close()
            #expect(try store.count("jobs") == 0)
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func closedCatalogThrowsClosed(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            try await catalog.close()
            try await catalog.close()
            let error = await #expect(throws: CatalogError.self) { try await catalog.recentJobs(limit: 1) }
            #expect(error?.code == .closed)
        }
    }
}
