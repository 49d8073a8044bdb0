import Foundation
import Testing
@testable import Catalog

@Suite("SQLiteCatalog")
struct SQLiteCatalogTests {
    @Test(.enabled(if: sqlite3Available, "needs the sqlite3 CLI as an oracle"))
    func migrationCreatesSchemaInWALMode() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            try await catalog.close()
            let path = catalog.path
            #expect(try sqlite3(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") == [
                "fingerprints", "jobs", "notifications", "qc_findings", "renditions", "scene_cuts", "schema_migrations",
                "streams", "task_runs", "videos",
            ])
            #expect(try sqlite3(path, "SELECT version || ' ' || name FROM schema_migrations ORDER BY version") == ["1 initial", "2 silver", "3 notification_outbox"])
            #expect(try sqlite3(path, "PRAGMA journal_mode") == ["wal"])
            let indexes = try sqlite3(path, "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
            #expect(Set(indexes) == ["jobs_request_id", "jobs_source_path", "jobs_created_at", "jobs_video_id",
                                     "notifications_job_id", "notifications_pending"])
            #expect(try sqlite3(path, "SELECT name FROM pragma_table_info('streams') WHERE pk > 0 ORDER BY pk") == [
                "video_id", "idx",
            ])
            #expect(try sqlite3(path, "SELECT \"unique\" || partial FROM pragma_index_list('jobs') WHERE name = 'jobs_request_id'") == ["11"])
        }
    }

    @Test func migratingAgainChangesNothing() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            try await catalog.commit(sampleBatch())
            try await catalog.migrate()
            try await catalog.close()
            // A second process starting up migrates again.
            let again = try await openCatalog(in: folder)
            try await again.migrate()
            #expect(try await again.job(id: "job-1") == sampleBatch().job)
            try await again.close()
            if sqlite3Available {
                #expect(try sqlite3(catalog.path, "SELECT count(*) FROM schema_migrations") == ["\(Migration.all.count)"])
            }
        }
    }

    @Test func laterMigrationAppliesOnlyItselfAndOlderBuildsRefuseTheNewerSchema() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            try await catalog.commit(sampleBatch())
            let second = Migration(
                version: nextVersion, name: "later", sqlite: ["CREATE TABLE later (id TEXT PRIMARY KEY)"],
                postgres: ["CREATE TABLE later (id TEXT PRIMARY KEY)"]
            )
            try await catalog.apply(Migration.all + [second])
            try await catalog.apply(Migration.all + [second])
            #expect(try await catalog.job(id: "job-1") != nil)

            let error = await #expect(throws: CatalogError.self) { try await catalog.migrate() }
            #expect(error?.code == .migrationFailed)

            let renamed = Migration(version: nextVersion, name: "other", sqlite: [], postgres: [])
            let mismatch = await #expect(throws: CatalogError.self) { try await catalog.apply(Migration.all + [renamed]) }
            #expect(mismatch?.code == .migrationFailed)
            try await catalog.close()
            if sqlite3Available {
                #expect(try sqlite3(catalog.path, "SELECT version FROM schema_migrations ORDER BY version") == (1...nextVersion).map(String.init))
            }
        }
    }

    @Test func failedMigrationLeavesNoTrace() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            let broken = Migration(
                version: nextVersion, name: "broken",
                sqlite: ["CREATE TABLE half_done (id TEXT)", "CREATE TABLE videos (id TEXT)"], postgres: []
            )
            let error = await #expect(throws: CatalogError.self) { try await catalog.apply(Migration.all + [broken]) }
            #expect(error?.code == .migrationFailed)
            try await catalog.close()
            if sqlite3Available {
                #expect(try sqlite3(catalog.path, "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'") == ["0"])
                #expect(try sqlite3(catalog.path, "SELECT max(version) FROM schema_migrations") == ["\(nextVersion - 1)"])
            }
        }
    }

    @Test func committedBatchReadsBackExactly() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            let batch = sampleBatch()
            try await catalog.commit(batch)
            let video = try #require(batch.video)

            #expect(try await catalog.video(id: video.id) == video)
            #expect(try await catalog.video(contentSHA256: video.contentSHA256) == video)
            #expect(try await catalog.video(contentSHA256: sha256Like("f")) == nil)
            #expect(try await catalog.streams(videoID: video.id) == batch.streams)
            #expect(try await catalog.job(id: batch.job.id) == batch.job)
            #expect(try await catalog.job(requestID: "req-1") == batch.job)
            #expect(try await catalog.taskRuns(jobID: batch.job.id) == batch.taskRuns)
            #expect(try await catalog.findings(jobID: batch.job.id) == batch.findings)
            #expect(try await catalog.notifications(jobID: batch.job.id) == batch.notifications)
            #expect(try await catalog.jobs(sourcePath: batch.job.sourcePath) == [batch.job])
            #expect(try await catalog.recentJobs(limit: 10) == [batch.job])
            try await catalog.close()
        }
    }

    @Test func recommittingTheSameJobAddsNothing() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            let batch = sampleBatch()
            try await catalog.commit(batch)
            try await catalog.commit(batch)
            // A redelivered batch whose details differ still leaves the first record alone.
            var changed = batch
            changed.job.state = .failed
            changed.taskRuns.append(TaskRunRecord(jobID: batch.job.id, task: "encode", state: "failed"))
            try await catalog.commit(changed)

            #expect(try await catalog.job(id: batch.job.id) == batch.job)
            #expect(try await catalog.taskRuns(jobID: batch.job.id) == batch.taskRuns)
            #expect(try await catalog.findings(jobID: batch.job.id) == batch.findings)
            #expect(try await catalog.notifications(jobID: batch.job.id) == batch.notifications)
            #expect(try await catalog.streams(videoID: batch.job.videoID!) == batch.streams)
            #expect(try await catalog.recentJobs(limit: 10).count == 1)
            try await catalog.close()
            if sqlite3Available {
                for (table, count) in [("videos", 1), ("streams", 2), ("jobs", 1), ("task_runs", 3),
                                       ("qc_findings", 2), ("notifications", 1)] {
                    #expect(try sqlite3(catalog.path, "SELECT count(*) FROM \(table)") == ["\(count)"], "\(table)")
                }
            }
        }
    }

    @Test func sameContentKeepsTheFirstVideoAndLinksTheNewJobToIt() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            let first = sampleBatch()
            try await catalog.commit(first)
            // Another job raced on a copy of the same bytes under another name and video id.
            var second = sampleBatch(
                jobID: "job-2", requestID: "req-2", videoID: "22222222-2222-2222-2222-222222222222",
                originalName: "copy.mp4", sourcePath: "/inbox/copy.mp4", createdAt: timestamp(1_700_000_100)
            )
            second.streams[0].codec = "hevc"
            try await catalog.commit(second)

            let original = try #require(first.video)
            #expect(try await catalog.video(contentSHA256: original.contentSHA256) == original)
            #expect(try await catalog.video(id: "22222222-2222-2222-2222-222222222222") == nil)
            #expect(try await catalog.streams(videoID: original.id) == first.streams)
            let job = try #require(try await catalog.job(id: "job-2"))
            #expect(job.videoID == original.id)
            #expect(try await catalog.findings(jobID: "job-2").first?.videoID == original.id)
            try await catalog.close()
        }
    }

    @Test func duplicateJobPointsAtTheStoredVideo() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            let first = sampleBatch()
            try await catalog.commit(first)
            let duplicate = GoldBatch(job: JobRecord(
                id: "job-dup", origin: "inbox", sourcePath: "/inbox/again.mp4", state: .duplicate,
                duplicateOf: first.video!.id, createdAt: timestamp(1_700_000_200)
            ))
            try await catalog.commit(duplicate)
            #expect(try await catalog.job(id: "job-dup") == duplicate.job)
            #expect(try await catalog.recentJobs(limit: 1) == [duplicate.job])
            try await catalog.close()
        }
    }

    @Test func redeliveredRequestUnderANewJobIDIsRefused() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            try await catalog.commit(sampleBatch())
            let redelivered = sampleBatch(jobID: "job-9", requestID: "req-1", contentHash: sha256Like("b"))
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(redelivered) }
            #expect(error?.code == .duplicateRequest)
            #expect(error?.isRetryable == false)
            #expect(try await catalog.job(id: "job-9") == nil)
            #expect(try await catalog.video(contentSHA256: sha256Like("b")) == nil)
            #expect(try await catalog.job(requestID: "req-1")?.id == "job-1")
            try await catalog.close()
        }
    }

    @Test func batchFailingHalfwayIsRolledBackWhole() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            let first = sampleBatch()
            try await catalog.commit(first)

            // The video, streams and job insert fine; the repeated task run then breaks the primary key.
            var broken = sampleBatch(
                jobID: "job-2", requestID: "req-2", videoID: "33333333-3333-3333-3333-333333333333",
                contentHash: sha256Like("c"), sourcePath: "/inbox/other.mp4"
            )
            broken.taskRuns.append(broken.taskRuns[0])
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(broken) }
            #expect(error?.code == .constraintViolation)
            #expect(error?.isRetryable == false)

            #expect(try await catalog.video(contentSHA256: sha256Like("c")) == nil)
            #expect(try await catalog.streams(videoID: "33333333-3333-3333-3333-333333333333").isEmpty)
            #expect(try await catalog.job(id: "job-2") == nil)
            #expect(try await catalog.taskRuns(jobID: "job-2").isEmpty)
            #expect(try await catalog.job(id: "job-1") == first.job)
            #expect(try await catalog.video(id: first.video!.id) == first.video)

            // The connection is usable afterwards and the fixed batch goes in.
            broken.taskRuns.removeLast()
            try await catalog.commit(broken)
            #expect(try await catalog.job(id: "job-2") == broken.job)
            try await catalog.close()
        }
    }

    @Test func foreignKeysAreEnforced() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            let orphan = GoldBatch(job: JobRecord(
                id: "job-x", origin: "cli", sourcePath: "/x.mp4", state: .succeeded, videoID: "no-such-video",
                createdAt: timestamp(1_700_000_000)
            ))
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(orphan) }
            #expect(error?.code == .constraintViolation)
            try await catalog.close()
        }
    }

    @Test func dataSurvivesReopening() async throws {
        try await withTemporaryFolder { folder in
            let batch = sampleBatch()
            let catalog = try await openCatalog(in: folder)
            try await catalog.commit(batch)
            try await catalog.close()

            let reopened = try await openCatalog(in: folder)
            #expect(try await reopened.video(id: batch.video!.id) == batch.video)
            #expect(try await reopened.job(id: batch.job.id) == batch.job)
            #expect(try await reopened.notifications(jobID: batch.job.id) == batch.notifications)
            try await reopened.close()
        }
    }

    @Test func jobsAreListedNewestFirst() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            // Inserted out of order; one before 1970 checks the fixed-width timestamp text.
            for (index, seconds) in [1_700_000_050.0, -86_400.5, 1_700_000_000.000001, 1_700_000_100.0].enumerated() {
                let job = JobRecord(id: "job-\(index)", origin: "cli", sourcePath: index == 3 ? "/b.mp4" : "/a.mp4",
                                    state: .failed, errorCode: "probe", createdAt: timestamp(seconds))
                try await catalog.commit(GoldBatch(job: job))
            }
            #expect(try await catalog.recentJobs(limit: 10).map(\.id) == ["job-3", "job-0", "job-2", "job-1"])
            #expect(try await catalog.recentJobs(limit: 2).map(\.id) == ["job-3", "job-0"])
            #expect(try await catalog.recentJobs(limit: 0).isEmpty)
            #expect(try await catalog.jobs(sourcePath: "/a.mp4").map(\.id) == ["job-0", "job-2", "job-1"])
            #expect(try await catalog.job(id: "job-1")?.createdAt == timestamp(-86_400.5))
            try await catalog.close()
        }
    }

    @Test func readersInAnotherConnectionSeeOnlyWholeBatchesWhileAWriterCommits() async throws {
        try await withTemporaryFolder { folder in
            let writer = try await openCatalog(in: folder)
            let reader = try await SQLiteCatalog(path: writer.path)
            let batches = (0..<25).map { index in
                sampleBatch(
                    jobID: "job-\(index)", requestID: "req-\(index)", videoID: "video-\(index)",
                    contentHash: String(format: "%064x", index), createdAt: timestamp(1_700_000_000 + Double(index))
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
        }
    }

    @Test func migrationsFromTwoProcessesAtOnceApplyOnce() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/catalog.sqlite"
            let first = try await SQLiteCatalog(path: path)
            let second = try await SQLiteCatalog(path: path)
            do {
                async let a: Void = first.migrate()
                async let b: Void = second.migrate()
                _ = try await (a, b)
                try await first.commit(sampleBatch())
                #expect(try await second.job(id: "job-1") != nil)
            } catch {
                Issue.record(error)  // reported, after both connections are closed below
            }
            try await first.close()
            try await second.close()
            if sqlite3Available {
                #expect(try sqlite3(path, "SELECT count(*) FROM schema_migrations") == ["\(Migration.all.count)"])
            }
        }
    }

    @Test func closedCatalogThrowsClosed() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            try await catalog.close()
            try await catalog.close()
            let error = await #expect(throws: CatalogError.self) { try await catalog.recentJobs(limit: 1) }
            #expect(error?.code == .closed)
        }
    }
}

@Suite("CatalogTimestamp")
struct CatalogTimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000000Z"),
        (1_700_000_000.123456, "2023-11-14T22:13:20.123456Z"),
        (-0.000001, "1969-12-31T23:59:59.999999Z"),
        (253_402_300_799, "9999-12-31T23:59:59.000000Z"),
        (1_700_000_000.000001, "2023-11-14T22:13:20.000001Z"),
    ])
    func roundTripsAtMicrosecondPrecision(seconds: Double, text: String) throws {
        let date = timestamp(seconds)
        #expect(CatalogTimestamp.text(date) == text)
        #expect(CatalogTimestamp.date(text) == date)
    }

    @Test(arguments: ["", "2023-11-14 22:13:20.123456Z", "2023-11-14T22:13:20Z", "2023-11-14T22:13:2x.123456Z"])
    func rejectsOtherShapes(text: String) {
        #expect(CatalogTimestamp.date(text) == nil)
    }
}

/// The version a test migration takes: one past the last shipped migration.
private let nextVersion = (Migration.all.last?.version ?? 0) + 1

@Suite struct SilverRecordTests {
    @Test func silverOutputsReadBackAndStayWithTheFirstVideo() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            var batch = sampleBatch()
            let videoID = try #require(batch.video?.id)
            batch.renditions = [
                RenditionRecord(videoID: videoID, name: "720p", path: "/lake/silver/v/720p.mp4", width: 1280, height: 720,
                                durationSeconds: 12.3, sizeBytes: 4_000_000, bitRate: 2_600_000, psnr: 41.5, ssim: 0.985, verified: true),
                RenditionRecord(videoID: videoID, name: "360p", path: "/lake/silver/v/360p.mp4", width: 640, height: 360,
                                durationSeconds: 12.3, sizeBytes: 900_000, bitRate: 580_000, psnr: nil, ssim: nil, verified: false),
            ]
            batch.sceneCuts = [SceneCutRecord(videoID: videoID, seconds: 2.0, score: 31.5), SceneCutRecord(videoID: videoID, seconds: 4.04, score: 18)]
            batch.fingerprint = FingerprintRecord(videoID: videoID, secondsPerHash: 1, hashesHex: "00ff00ff00ff00ffa5a5a5a5a5a5a5a5")
            try await catalog.commit(batch)

            #expect(try await catalog.renditions(videoID: videoID) == batch.renditions)
            #expect(try await catalog.sceneCuts(videoID: videoID) == batch.sceneCuts)
            #expect(try await catalog.fingerprints() == [batch.fingerprint!])

            // A later job with the same content keeps the first video's silver rows.
            var again = sampleBatch(jobID: "job-2", requestID: "req-2", videoID: "22222222-2222-2222-2222-222222222222")
            again.fingerprint = FingerprintRecord(videoID: "22222222-2222-2222-2222-222222222222", secondsPerHash: 1, hashesHex: "ffffffffffffffff")
            try await catalog.commit(again)
            #expect(try await catalog.fingerprints() == [batch.fingerprint!])
            try await catalog.close()
        }
    }
}

@Suite struct NotificationOutboxTests {
    @Test func claimedNotificationsCarryTheirMessageAndAreLeasedUntilMarked() async throws {
        try await withTemporaryFolder { folder in
            let catalog = try await openCatalog(in: folder)
            var batch = sampleBatch()
            let created = batch.job.createdAt
            batch.notifications = [
                NotificationRecord(id: "<req-1.ready@vidpipe>", jobID: batch.job.id, kind: "ready", recipient: "a@example.com",
                                   subject: "Ready", state: "pending", createdAt: created, sender: "vidpipe@localhost",
                                   message: "Subject: Ready\r\n\r\nbody\r\n"),
            ]
            try await catalog.commit(batch)
            let lease = created.addingTimeInterval(120)
            let due = try await catalog.claimNotifications(dueBy: created.addingTimeInterval(1), limit: 10, leaseUntil: lease)
            #expect(due.map(\.id) == ["<req-1.ready@vidpipe>"])
            #expect(due.first?.message == "Subject: Ready\r\n\r\nbody\r\n")
            // Claimed: nobody else gets it while the lease lasts; after it, it is due again.
            #expect(try await catalog.claimNotifications(dueBy: created.addingTimeInterval(2), limit: 10, leaseUntil: lease).isEmpty)
            #expect(try await catalog.claimNotifications(dueBy: lease, limit: 10, leaseUntil: lease.addingTimeInterval(120)).count == 1)

            // A failed attempt waits until its retry time, then is due again.
            let retryAt = created.addingTimeInterval(60)
            try await catalog.markNotificationFailed(id: "<req-1.ready@vidpipe>", error: "connection refused", retryAt: retryAt)
            #expect(try await catalog.claimNotifications(dueBy: created.addingTimeInterval(30), limit: 10, leaseUntil: lease).isEmpty)
            let again = try await catalog.claimNotifications(dueBy: retryAt, limit: 10, leaseUntil: lease)
            #expect(again.first?.attempts == 1)
            #expect(again.first?.lastError == "connection refused")

            try await catalog.markNotificationSent(id: "<req-1.ready@vidpipe>", at: retryAt, path: nil)
            #expect(try await catalog.claimNotifications(dueBy: lease.addingTimeInterval(3600), limit: 10, leaseUntil: lease).isEmpty)
            #expect(try await catalog.notifications(jobID: batch.job.id).first?.state == "sent")
            try await catalog.close()
        }
    }
}
