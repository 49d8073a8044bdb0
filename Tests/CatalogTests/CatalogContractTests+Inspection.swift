import Catalog
import Foundation
import Testing
import VidpipeTestSupport

/// The reads behind `vidpipe status`, `jobs`, `show` and `retry`, on each database, checked
/// against the database's own CLI.
extension CatalogContractTests {
    /// Three jobs: a succeeded one with its video, a rejected one, and its retry.
    private static func history(_ catalog: any Catalog) async throws -> (done: JobRecord, rejected: JobRecord, retry: JobRecord) {
        let done = Fixture.batch(jobID: "job-1", requestID: "req-1", createdAt: Fixture.date(1_700_000_000))
        try await catalog.commit(done)
        let rejected = JobRecord(id: "job-2", requestID: "req-2", origin: "cli", sourcePath: "/in/bad.mp4", state: .rejected,
                                 verdict: "fail", errorCode: "text_file", errorMessage: "is text", createdAt: Fixture.date(1_700_000_100),
                                 finishedAt: Fixture.date(1_700_000_101))
        try await catalog.commit(GoldBatch(job: rejected))
        var retry = Fixture.batch(jobID: "job-3", requestID: "retry-job-2", videoID: "33333333-3333-3333-3333-333333333333",
                                  contentHash: Fixture.sha256Like("c"), sourcePath: "/in/bad.mp4", createdAt: Fixture.date(1_700_000_200))
        retry.job.retryOf = rejected.id
        try await catalog.commit(retry)
        return (done.job, rejected, retry.job)
    }

    @Test(arguments: CatalogBackend.covered)
    func jobQueriesFilterByStateAndAgeNewestFirst(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let (done, rejected, retry) = try await Self.history(catalog)
            #expect(try await catalog.jobs(matching: JobQuery(limit: 10)).map(\.id) == [retry.id, rejected.id, done.id])
            #expect(try await catalog.jobs(matching: JobQuery(limit: 2)).map(\.id) == [retry.id, rejected.id])
            #expect(try await catalog.jobs(matching: JobQuery(states: [.rejected, .failed], limit: 10)).map(\.id) == [rejected.id])
            #expect(try await catalog.jobs(matching: JobQuery(createdSince: Fixture.date(1_700_000_100), limit: 10)).map(\.id)
                    == [retry.id, rejected.id])
            #expect(try await catalog.retries(of: rejected.id) == [retry])
            #expect(try await catalog.job(id: retry.id)?.retryOf == rejected.id)
            #expect(try store.oracle("SELECT retry_of FROM jobs WHERE id = 'job-3'") == ["job-2"])
            #expect(try await catalog.jobs(videoID: "33333333-3333-3333-3333-333333333333").map(\.id) == [retry.id])
            try await catalog.close()
        }
    }

    /// Daemons sharing a catalog each name themselves in the jobs they record (`jobs.worker`).
    @Test(arguments: CatalogBackend.covered)
    func jobRecordsTheWorkerThatRanIt(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            var batch = Fixture.batch()
            batch.job.worker = "worker-7"
            try await catalog.commit(batch)
            #expect(try store.oracle("SELECT worker FROM jobs WHERE id = 'job-1'") == ["worker-7"])
            #expect(try await catalog.job(id: "job-1")?.worker == "worker-7")
            try await catalog.close()
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func talliesCountJobsAndTheirVideoBytesByStateAndVerdict(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            _ = try await Self.history(catalog)
            let all = try await catalog.jobTallies(finishedSince: nil)
            let expected = try store.oracle("""
                SELECT j.state, j.verdict, count(*), coalesce(sum(v.size_bytes), 0) FROM jobs j LEFT JOIN videos v ON v.id = j.video_id
                GROUP BY j.state, j.verdict ORDER BY j.state, j.verdict
                """)
            #expect(all.map { "\($0.state.rawValue)|\($0.verdict ?? "")|\($0.jobs)|\($0.videoBytes)" } == expected)
            // Since a time: only jobs finished at or after it (the rejected one at 1_700_000_101).
            let late = try await catalog.jobTallies(finishedSince: Fixture.date(1_700_000_101))
            #expect(late.map(\.jobs).reduce(0, +) == 2)
            try await catalog.close()
        }
    }
}
