import Catalog
import Foundation
import Testing
import VidpipeTestSupport

/// The contract's reads: orders, precision, and what another process opening the store sees.
extension CatalogContractTests {
    @Test(arguments: CatalogBackend.covered)
    func jobsAreListedNewestFirst(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            // Inserted out of order; one before 1970 checks the fixed-width timestamp text.
            for (index, seconds) in [1_700_000_050.0, -86_400.5, 1_700_000_000.000001, 1_700_000_100.0].enumerated() {
                let job = JobRecord(id: "job-\(index)", origin: "cli", sourcePath: index == 3 ? "/b.mp4" : "/a.mp4",
                                    state: .failed, errorCode: "probe", createdAt: Fixture.date(seconds))
                try await catalog.commit(GoldBatch(job: job))
            }
            #expect(try await catalog.recentJobs(limit: 10).map(\.id) == ["job-3", "job-0", "job-2", "job-1"])
            #expect(try await catalog.recentJobs(limit: 2).map(\.id) == ["job-3", "job-0"])
            #expect(try await catalog.recentJobs(limit: 0).isEmpty)
            #expect(try await catalog.jobs(sourcePath: "/a.mp4").map(\.id) == ["job-0", "job-2", "job-1"])
            #expect(try await catalog.job(id: "job-1")?.createdAt == Fixture.date(-86_400.5))
            #expect(try await catalog.job(id: "job-2")?.createdAt == Fixture.date(1_700_000_000.000001))
            try await catalog.close()
            #expect(try store.oracle("SELECT id FROM jobs ORDER BY created_at DESC") == ["job-3", "job-0", "job-2", "job-1"])
        }
    }

    /// Ties on time fall back to the id in byte order (upper case before lower case), on
    /// PostgreSQL too, whatever its locale.
    @Test(arguments: CatalogBackend.covered)
    func jobsCreatedAtTheSameTimeAreOrderedByIDBytes(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            for id in ["job-b", "job-B", "job-a", "job-A"] {
                try await catalog.commit(GoldBatch(job: JobRecord(id: id, origin: "cli", sourcePath: "/same.mp4", state: .failed,
                                                                  createdAt: Fixture.date(1_700_000_000))))
            }
            #expect(try await catalog.recentJobs(limit: 10).map(\.id) == ["job-b", "job-a", "job-B", "job-A"])
            #expect(try await catalog.jobs(sourcePath: "/same.mp4").map(\.id) == ["job-b", "job-a", "job-B", "job-A"])
            try await catalog.close()
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func dataSurvivesReopening(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let batch = Fixture.batch()
            let catalog = try await store.open()
            try await catalog.commit(batch)
            try await catalog.close()

            let reopened = try await store.open()
            #expect(try await reopened.video(id: batch.video!.id) == batch.video)
            #expect(try await reopened.job(id: batch.job.id) == batch.job)
            #expect(try await reopened.notifications(jobID: batch.job.id) == batch.notifications)
            try await reopened.close()
        }
    }
}
