import Catalog
import CatalogSQLite
import Foundation
import Testing
import VidpipeTestSupport

/// What only the SQLite catalog does: a WAL-mode file that other connections (the `status`
/// command, a second daemon) read while one writes, and SQLite's own encodings. The shared
/// behaviour is in the catalog contract suite.
@Suite("SQLiteCatalog")
struct SQLiteCatalogTests {
    @Test func migrationCreatesTheSchemaInWALMode() async throws {
        try await ScratchDirectory.with { folder in
            let catalog = try await Self.open(in: folder)
            try await catalog.close()
            let path = catalog.path
            #expect(try SQLite3Oracle.query(path, "PRAGMA journal_mode") == ["wal"])
            #expect(try SQLite3Oracle.query(path, "SELECT name FROM pragma_table_info('streams') WHERE pk > 0 ORDER BY pk") == [
                "video_id", "idx",
            ])
            #expect(try SQLite3Oracle.query(path, "SELECT \"unique\" || partial FROM pragma_index_list('jobs') WHERE name = 'jobs_request_id'") == ["11"])
            // video_id, duplicate_of, retry_of
            #expect(try SQLite3Oracle.query(path, "SELECT count(*) FROM pragma_foreign_key_list('jobs')") == ["3"])
        }
    }

    /// Timestamps as fixed-width UTC text with microseconds, booleans as 0/1, JSON as the
    /// text it was given.
    @Test func storedValuesAreSQLiteEncodings() async throws {
        try await ScratchDirectory.with { folder in
            let catalog = try await Self.open(in: folder)
            try await catalog.commit(CatalogFixtures.batch())
            try await catalog.close()
            let path = catalog.path
            #expect(try SQLite3Oracle.query(path, "SELECT first_seen_at, typeof(size_bytes), size_bytes, sidecar_json FROM videos")
                    == [#"2023-11-14T22:13:20.123456Z|integer|5000000000|{"title": "Clip",  "tags":["a"]}"#])
            #expect(try SQLite3Oracle.query(path, "SELECT name, verified, typeof(psnr) FROM renditions ORDER BY name")
                    == ["360p|0|null", "720p|1|real"])
            #expect(try SQLite3Oracle.query(path, "SELECT started_at, finished_at FROM task_runs WHERE attempt = 2")
                    == ["2023-11-14T22:13:22.123456Z|2023-11-14T22:13:23.123456Z"])
            #expect(try SQLite3Oracle.query(path, "SELECT created_at, sent_at IS NULL FROM notifications")
                    == ["2023-11-14T22:13:29.623456Z|1"])
        }
    }

    @Test func readersInAnotherConnectionSeeOnlyWholeBatchesWhileAWriterCommits() async throws {
        try await ScratchDirectory.with { folder in
            let writer = try await Self.open(in: folder)
            let reader = try await SQLiteCatalog(path: writer.path)
            let batches = (0..<25).map { index in
                CatalogFixtures.batch(
                    jobID: "job-\(index)", requestID: "req-\(index)", videoID: "video-\(index)",
                    contentHash: String(format: "%064x", index), createdAt: CatalogFixtures.date(1_700_000_000 + Double(index))
                )
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for batch in batches { try await writer.commit(batch) }
                }
                group.addTask {
                    var seen = 0
                    while seen < batches.count {
                        let jobs = try await reader.recentJobs(limit: 100)
                        #expect(jobs.count >= seen)
                        seen = jobs.count
                        // Every job seen has its whole batch: video, streams and task runs.
                        if let newest = jobs.first {
                            #expect(try await reader.taskRuns(jobID: newest.id).count == 3)
                            #expect(try await reader.streams(videoID: try #require(newest.videoID)).count == 2)
                        }
                    }
                }
                // Concurrent calls on the writer's own connection must not land inside its transactions.
                group.addTask {
                    for _ in 0..<50 {
                        for job in try await writer.recentJobs(limit: 5) {
                            #expect(try await writer.findings(jobID: job.id).count == 2)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await reader.recentJobs(limit: 100).count == batches.count)
            try await reader.close()
            try await writer.close()
            #expect(try SQLite3Oracle.query(writer.path, "SELECT count(*) FROM jobs") == ["25"])
        }
    }

    /// `vidpipe dag` uses one for the shape of a catalog without a file.
    @Test func inMemoryCatalogHoldsAWholeBatch() async throws {
        let catalog = try await SQLiteCatalog(path: ":memory:")
        try await catalog.migrate()
        let batch = CatalogFixtures.batch()
        try await catalog.commit(batch)
        #expect(try await catalog.job(id: batch.job.id) == batch.job)
        #expect(try await catalog.renditions(videoID: batch.video!.id) == batch.renditions)
        try await catalog.close()
    }

    /// Opens and migrates a catalog in `folder` (in a sub folder, to exercise folder creation).
    static func open(in folder: ScratchDirectory) async throws -> SQLiteCatalog {
        let catalog = try await SQLiteCatalog(path: folder.path("db/catalog.sqlite"))
        try await catalog.migrate()
        return catalog
    }
}
