import Catalog
import Foundation
import Testing
import VidpipeTestSupport

typealias Fixture = CatalogFixtures

/// What every ``Catalog`` promises, checked on each database (``CatalogBackend``), each test
/// on a store of its own. Serialized: PostgreSQL's own suite restarts the server, and these
/// tests time concurrent writers.
@Suite("Catalog contract", .serialized)
struct CatalogContractTests {
    /// The version a test migration takes: one past the last shipped migration.
    static let nextVersion = (Migration.all.last?.version ?? 0) + 1

    // MARK: - Migrations

    @Test(arguments: CatalogBackend.covered)
    func migrationCreatesEveryTableAndRecordsEachVersion(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            try await store.open().close()
            #expect(try store.tables() == [
                "fingerprints", "jobs", "notifications", "qc_findings", "renditions", "scene_cuts", "schema_migrations",
                "streams", "task_runs", "videos", "webhook_attempts", "webhook_deliveries",
            ])
            #expect(try store.oracle("SELECT version || ' ' || name FROM schema_migrations ORDER BY version")
                    == ["1 initial", "2 silver", "3 notification_outbox", "4 job_sidecar", "5 job_retry", "6 job_worker",
                       "7 webhook_outbox", "8 hls_master"])
            #expect(try store.secondaryIndexes() == ["jobs_request_id", "jobs_source_path", "jobs_created_at", "jobs_video_id",
                                                     "notifications_job_id", "notifications_pending", "jobs_retry_of",
                                                     "webhook_deliveries_pending", "webhook_deliveries_job_id"])
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func migratingAgainChangesNothing(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            try await catalog.commit(Fixture.batch())
            try await catalog.migrate()
            try await catalog.close()
            // A second process starting up migrates again.
            let again = try await store.open()
            try await again.migrate()
            #expect(try await again.job(id: "job-1") == Fixture.batch().job)
            try await again.close()
            #expect(try store.count("schema_migrations") == Migration.all.count)
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func concurrentMigrationsFromSeveralProcessesApplyOnce(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            // Separate catalogs (connections, pools) stand for separate processes.
            var catalogs: [any Catalog] = []
            for _ in 0..<4 { catalogs.append(try await store.open(migrated: false)) }
            let migrating = catalogs
            try await withThrowingTaskGroup(of: Void.self) { group in
                for catalog in migrating { group.addTask { try await catalog.migrate() } }
                try await group.waitForAll()
            }
            try await catalogs[0].commit(Fixture.batch())
            #expect(try await catalogs[3].job(id: "job-1") != nil)
            for catalog in catalogs { try await catalog.close() }
            #expect(try store.count("schema_migrations") == Migration.all.count)
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func laterMigrationAppliesOnlyItselfAndOlderBuildsRefuseTheNewerSchema(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            try await catalog.commit(Fixture.batch())
            let later = Migration(version: Self.nextVersion, name: "later", sqlite: ["CREATE TABLE later (id TEXT PRIMARY KEY)"],
                                  postgres: ["CREATE TABLE later (id TEXT PRIMARY KEY)"])
            try await store.apply(Migration.all + [later], with: catalog)
            try await store.apply(Migration.all + [later], with: catalog)
            #expect(try await catalog.job(id: "job-1") != nil)

            let newer = await #expect(throws: CatalogError.self) { try await catalog.migrate() }
            #expect(newer?.code == .migrationFailed)
            #expect(newer?.isRetryable == false)

            let renamed = Migration(version: Self.nextVersion, name: "other", sqlite: [], postgres: [])
            let mismatch = await #expect(throws: CatalogError.self) { try await store.apply(Migration.all + [renamed], with: catalog) }
            #expect(mismatch?.code == .migrationFailed)
            try await catalog.close()
            #expect(try store.oracle("SELECT version FROM schema_migrations ORDER BY version") == (1...Self.nextVersion).map(String.init))
            #expect(try store.tables().contains("later"))
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func failedMigrationLeavesNoTrace(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let statements = ["CREATE TABLE half_done (id TEXT)", "CREATE TABLE videos (id TEXT)"]
            let broken = Migration(version: Self.nextVersion, name: "broken", sqlite: statements, postgres: statements)
            let error = await #expect(throws: CatalogError.self) { try await store.apply(Migration.all + [broken], with: catalog) }
            #expect(error?.code == .migrationFailed)
            try await catalog.close()
            #expect(try !store.tables().contains("half_done"))
            #expect(try store.oracle("SELECT max(version) FROM schema_migrations") == ["\(Self.nextVersion - 1)"])
        }
    }

    // MARK: - Gold batches

    @Test(arguments: CatalogBackend.covered)
    func committedBatchReadsBackExactly(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let batch = Fixture.batch()
            try await catalog.commit(batch)
            let video = try #require(batch.video)

            #expect(try await catalog.video(id: video.id) == video)
            #expect(try await catalog.video(contentSHA256: video.contentSHA256) == video)
            #expect(try await catalog.video(contentSHA256: Fixture.sha256Like("f")) == nil)
            #expect(try await catalog.streams(videoID: video.id) == batch.streams)
            #expect(try await catalog.job(id: batch.job.id) == batch.job)
            #expect(try await catalog.job(requestID: "req-1") == batch.job)
            #expect(try await catalog.taskRuns(jobID: batch.job.id) == batch.taskRuns)
            #expect(try await catalog.findings(jobID: batch.job.id) == batch.findings)
            #expect(try await catalog.notifications(jobID: batch.job.id) == batch.notifications)
            #expect(try await catalog.renditions(videoID: video.id) == batch.renditions)
            #expect(try await catalog.sceneCuts(videoID: video.id) == batch.sceneCuts)
            #expect(try await catalog.fingerprints() == [batch.fingerprint!])
            #expect(try await catalog.jobs(sourcePath: batch.job.sourcePath) == [batch.job])
            #expect(try await catalog.recentJobs(limit: 10) == [batch.job])
            try await catalog.close()
            // The states as stored: the raw values the schema has always held.
            #expect(try store.oracle("SELECT task || ' ' || attempt || ' ' || state FROM task_runs ORDER BY task, attempt")
                    == ["probe 1 retrying", "probe 2 succeeded", "qc 0 skipped"])
            #expect(try store.oracle("SELECT kind || ' ' || state FROM notifications") == ["ready pending"])
            #expect(try store.oracle("SELECT state FROM jobs") == ["succeeded"])
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func recommittingTheSameJobAddsNothing(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let batch = Fixture.batch()
            try await catalog.commit(batch)
            try await catalog.commit(batch)
            // A redelivered batch whose details differ still leaves the first record alone.
            var changed = batch
            changed.job.state = .failed
            changed.taskRuns.append(TaskRunRecord(jobID: batch.job.id, task: "encode", state: .failed))
            try await catalog.commit(changed)
            // Redeliveries racing each other: one commits, the others wait and change nothing.
            let redelivered = changed
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { try await catalog.commit(redelivered) } }
                try await group.waitForAll()
            }

            #expect(try await catalog.job(id: batch.job.id) == batch.job)
            #expect(try await catalog.taskRuns(jobID: batch.job.id) == batch.taskRuns)
            #expect(try await catalog.findings(jobID: batch.job.id) == batch.findings)
            #expect(try await catalog.notifications(jobID: batch.job.id) == batch.notifications)
            try await catalog.close()
            for (table, count) in [("videos", 1), ("streams", 2), ("jobs", 1), ("task_runs", 3), ("qc_findings", 2),
                                   ("notifications", 1), ("renditions", 2), ("scene_cuts", 2), ("fingerprints", 1)] {
                #expect(try store.count(table) == count, "\(table)")
            }
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func sameContentKeepsTheFirstVideoAndItsSilverAndLinksTheNewJobToIt(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let first = Fixture.batch()
            try await catalog.commit(first)
            // Another job raced on a copy of the same bytes under another name and video id.
            var second = Fixture.batch(
                jobID: "job-2", requestID: "req-2", videoID: "22222222-2222-2222-2222-222222222222",
                originalName: "copy.mp4", sourcePath: "/inbox/copy.mp4", createdAt: Fixture.date(1_700_000_100)
            )
            second.streams[0].codec = "hevc"
            second.fingerprint?.hashesHex = "ffffffffffffffff"
            try await catalog.commit(second)

            let original = try #require(first.video)
            #expect(try await catalog.video(contentSHA256: original.contentSHA256) == original)
            #expect(try await catalog.video(id: "22222222-2222-2222-2222-222222222222") == nil)
            #expect(try await catalog.streams(videoID: original.id) == first.streams)
            #expect(try await catalog.renditions(videoID: original.id) == first.renditions)
            #expect(try await catalog.fingerprints() == [first.fingerprint!])
            let job = try #require(try await catalog.job(id: "job-2"))
            #expect(job.videoID == original.id)
            #expect(try await catalog.findings(jobID: "job-2").first?.videoID == original.id)
            try await catalog.close()
            #expect(try store.oracle("SELECT id FROM jobs WHERE video_id = '\(original.id)' ORDER BY id") == ["job-1", "job-2"])
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func jobsRacingOnTheSameContentShareOneVideo(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let batches = (0..<6).map { index in
                Fixture.batch(jobID: "job-\(index)", requestID: "req-\(index)", videoID: "video-\(index)",
                              createdAt: Fixture.date(1_700_000_000 + Double(index)))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for batch in batches { group.addTask { try await catalog.commit(batch) } }
                try await group.waitForAll()
            }
            let videoID = try #require(try await catalog.video(contentSHA256: Fixture.sha256Like("a"))?.id)
            for batch in batches {
                #expect(try await catalog.job(id: batch.job.id)?.videoID == videoID)
            }
            try await catalog.close()
            #expect(try store.oracle("SELECT count(*) || ' ' || count(DISTINCT video_id) FROM jobs") == ["6 1"])
            #expect(try store.count("streams") == 2)
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func duplicateJobPointsAtTheStoredVideo(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let first = Fixture.batch()
            try await catalog.commit(first)
            let duplicate = GoldBatch(job: JobRecord(
                id: "job-dup", origin: "inbox", sourcePath: "/inbox/again.mp4", state: .duplicate,
                duplicateOf: first.video!.id, createdAt: Fixture.date(1_700_000_200)
            ))
            try await catalog.commit(duplicate)
            #expect(try await catalog.job(id: "job-dup") == duplicate.job)
            #expect(try await catalog.recentJobs(limit: 1) == [duplicate.job])
            try await catalog.close()
            #expect(try store.oracle("SELECT state || ' ' || duplicate_of FROM jobs WHERE id = 'job-dup'")
                    == ["duplicate \(first.video!.id)"])
        }
    }
}
