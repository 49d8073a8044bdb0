import Catalog
@testable import CatalogPostgres
import Foundation
import Testing

/// The same behaviours as `SQLiteCatalogTests`, against a real PostgreSQL, each test in a
/// database of its own. Serialized: one test restarts the server.
@Suite("PostgresCatalog", .serialized, .enabled(if: PostgresTestServer.shouldRun, PostgresTestServer.skipReason))
struct PostgresCatalogTests {
    private static let nextVersion = (Migration.all.last?.version ?? 0) + 1

    @Test func migrationCreatesTheSchema() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            try await catalog.close()
            #expect(try db.psql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1") == [
                "fingerprints", "jobs", "notifications", "qc_findings", "renditions", "scene_cuts", "schema_migrations",
                "streams", "task_runs", "videos",
            ])
            #expect(try db.psql("SELECT version || ' ' || name FROM schema_migrations ORDER BY version") == ["1 initial", "2 silver", "3 notification_outbox"])
            #expect(Set(try db.psql("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'"))
                    == ["jobs_request_id", "jobs_source_path", "jobs_created_at", "jobs_video_id", "notifications_job_id", "notifications_pending"])
            // Primary keys, in key order.
            let primaryKey = """
                SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_index i
                CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indisprimary AND i.indrelid = '%@'::regclass
                """
            for (table, key) in [("videos", "id"), ("streams", "video_id,idx"), ("jobs", "id"), ("task_runs", "job_id,task,attempt"),
                                 ("qc_findings", "job_id,seq"), ("notifications", "id"), ("renditions", "video_id,name"),
                                 ("scene_cuts", "video_id,seq"), ("fingerprints", "video_id"), ("schema_migrations", "version")] {
                #expect(try db.psql(primaryKey.replacingOccurrences(of: "%@", with: table)) == [key], "\(table)")
            }
            // The request id is unique where present (a partial unique index); the content hash is unique.
            #expect(try db.psql("SELECT indisunique, indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'jobs_request_id'::regclass") == ["t|t"])
            #expect(try db.psql("SELECT count(*) FROM pg_constraint WHERE conrelid = 'videos'::regclass AND contype = 'u'") == ["1"])
            #expect(try db.psql("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == ["10"])
            #expect(try db.psql("""
                SELECT column_name || ' ' || data_type FROM information_schema.columns
                WHERE table_name = 'videos' AND column_name IN ('probe_json', 'first_seen_at', 'size_bytes') ORDER BY 1
                """) == ["first_seen_at timestamp with time zone", "probe_json json", "size_bytes bigint"])
        }
    }

    @Test func migratingAgainChangesNothing() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            try await catalog.commit(sampleBatch())
            try await catalog.migrate()
            try await catalog.close()
            // A second process starting up migrates again.
            let again = try await db.catalog()
            try await again.migrate()
            #expect(try await again.job(id: "job-1") == sampleBatch().job)
            try await again.close()
            #expect(try db.psql("SELECT count(*) FROM schema_migrations") == ["\(Migration.all.count)"])
        }
    }

    @Test func concurrentMigrationsFromSeveralProcessesApplyOnce() async throws {
        try await TestDatabase.with { db in
            // Separate pools stand for separate processes.
            let catalogs = try await (0..<4).asyncMap { _ in try await db.catalog(migrated: false) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for catalog in catalogs { group.addTask { try await catalog.migrate() } }
                try await group.waitForAll()
            }
            try await catalogs[0].commit(sampleBatch())
            #expect(try await catalogs[3].job(id: "job-1") != nil)
            for catalog in catalogs { try await catalog.close() }
            #expect(try db.psql("SELECT count(*) FROM schema_migrations") == ["\(Migration.all.count)"])
        }
    }

    @Test func laterMigrationAppliesOnlyItselfAndOlderBuildsRefuseTheNewerSchema() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            try await catalog.commit(sampleBatch())
            let later = Migration(version: Self.nextVersion, name: "later", sqlite: [], postgres: ["CREATE TABLE later (id TEXT PRIMARY KEY)"])
            try await catalog.apply(Migration.all + [later])
            try await catalog.apply(Migration.all + [later])
            #expect(try await catalog.job(id: "job-1") != nil)

            let newer = await #expect(throws: CatalogError.self) { try await catalog.migrate() }
            #expect(newer?.code == .migrationFailed)
            #expect(newer?.isRetryable == false)

            let renamed = Migration(version: Self.nextVersion, name: "other", sqlite: [], postgres: [])
            let mismatch = await #expect(throws: CatalogError.self) { try await catalog.apply(Migration.all + [renamed]) }
            #expect(mismatch?.code == .migrationFailed)
            try await catalog.close()
            #expect(try db.psql("SELECT version FROM schema_migrations ORDER BY version") == (1...Self.nextVersion).map(String.init))
        }
    }

    @Test func failedMigrationLeavesNoTrace() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            let broken = Migration(version: Self.nextVersion, name: "broken", sqlite: [],
                                   postgres: ["CREATE TABLE half_done (id TEXT)", "CREATE TABLE videos (id TEXT)"])
            let error = await #expect(throws: CatalogError.self) { try await catalog.apply(Migration.all + [broken]) }
            #expect(error?.code == .migrationFailed)
            try await catalog.close()
            #expect(try db.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'") == ["0"])
            #expect(try db.psql("SELECT max(version) FROM schema_migrations") == ["\(Self.nextVersion - 1)"])
        }
    }

    @Test func committedBatchReadsBackExactly() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
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
            #expect(try await catalog.renditions(videoID: video.id) == batch.renditions)
            #expect(try await catalog.sceneCuts(videoID: video.id) == batch.sceneCuts)
            #expect(try await catalog.fingerprints() == [batch.fingerprint!])
            #expect(try await catalog.jobs(sourcePath: batch.job.sourcePath) == [batch.job])
            #expect(try await catalog.recentJobs(limit: 10) == [batch.job])
            try await catalog.close()

            // What psql reads: the stored values themselves, not PostgresNIO's view of them.
            #expect(try db.psql("""
                SELECT id, content_sha256 = repeat('a', 64), size_bytes, width, probe_json::text, sidecar_json->>'title',
                       to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
                FROM videos
                """) == [#"11111111-1111-1111-1111-111111111111|t|5000000000|1920|{"format":{"duration":"12.345"},"ünïcode":"✓"}|Clip|2023-11-14T22:13:20.123456"#])
            #expect(try db.psql("SELECT idx, kind, frame_rate = 30000.0::float8 / 1001, rotation_degrees, detail_json::text FROM streams ORDER BY idx")
                    == [#"0|video|t|-90|{"level":40}"#, "1|audio|||{}"])
            #expect(try db.psql("SELECT task, attempt, state, duration_ms, started_at IS NULL FROM task_runs ORDER BY task, attempt")
                    == ["probe|1|failed|1000|f", "probe|2|succeeded|1000.5|f", "qc|1|skipped||t"])
            #expect(try db.psql("SELECT seq, kind, video_id IS NULL FROM qc_findings ORDER BY seq") == ["0|qc.black|f", "1|policy.container|t"])
            #expect(try db.psql("SELECT id, state, subject, sent_at IS NULL FROM notifications") == ["<job-1.ready@vidpipe>|pending|Ready: clip.mp4 ✓|t"])
            #expect(try db.psql("SELECT name, verified, psnr FROM renditions ORDER BY name") == ["360p|f|", "720p|t|41.5"])
            #expect(try db.psql("SELECT seq, seconds, score FROM scene_cuts ORDER BY seq") == ["0|2|31.5", "1|4.04|18"])
            #expect(try db.psql("SELECT video_id, hashes_hex FROM fingerprints") == ["11111111-1111-1111-1111-111111111111|00ff00ff00ff00ffa5a5a5a5a5a5a5a5"])
            #expect(try db.psql("SELECT request_id, state, verdict, extract(epoch FROM finished_at - created_at) FROM jobs") == ["req-1|succeeded|warn|9.250000"])
        }
    }

    @Test func recommittingTheSameJobAddsNothing() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            let batch = sampleBatch()
            try await catalog.commit(batch)
            try await catalog.commit(batch)
            // A redelivered batch whose details differ still leaves the first record alone.
            var changed = batch
            changed.job.state = .failed
            changed.taskRuns.append(TaskRunRecord(jobID: batch.job.id, task: "encode", state: "failed"))
            try await catalog.commit(changed)
            // Redeliveries racing each other: one commits, the others wait and change nothing.
            let redelivered = changed
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { try await catalog.commit(redelivered) } }
                try await group.waitForAll()
            }

            #expect(try await catalog.job(id: batch.job.id) == batch.job)
            #expect(try await catalog.taskRuns(jobID: batch.job.id) == batch.taskRuns)
            try await catalog.close()
            for (table, count) in [("videos", 1), ("streams", 2), ("jobs", 1), ("task_runs", 3), ("qc_findings", 2),
                                   ("notifications", 1), ("renditions", 2), ("scene_cuts", 2), ("fingerprints", 1)] {
                #expect(try db.psql("SELECT count(*) FROM \(table)") == ["\(count)"], "\(table)")
            }
        }
    }

    @Test func sameContentKeepsTheFirstVideoAndLinksTheNewJobToIt() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            let first = sampleBatch()
            try await catalog.commit(first)
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
            #expect(try await catalog.fingerprints() == [first.fingerprint!])
            let job = try #require(try await catalog.job(id: "job-2"))
            #expect(job.videoID == original.id)
            #expect(try await catalog.findings(jobID: "job-2").first?.videoID == original.id)
            try await catalog.close()
        }
    }

    @Test func jobsRacingOnTheSameContentShareOneVideo() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            let batches = (0..<6).map { index in
                sampleBatch(jobID: "job-\(index)", requestID: "req-\(index)", videoID: "video-\(index)",
                            createdAt: timestamp(1_700_000_000 + Double(index)))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for batch in batches { group.addTask { try await catalog.commit(batch) } }
                try await group.waitForAll()
            }
            let stored = try await catalog.video(contentSHA256: sha256Like("a"))
            let videoID = try #require(stored?.id)
            for batch in batches {
                #expect(try await catalog.job(id: batch.job.id)?.videoID == videoID)
            }
            try await catalog.close()
            #expect(try db.psql("SELECT count(*), count(DISTINCT video_id) FROM jobs") == ["6|1"])
            #expect(try db.psql("SELECT count(*) FROM streams") == ["2"])
        }
    }

    @Test func duplicateJobPointsAtTheStoredVideo() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
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
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            try await catalog.commit(sampleBatch())
            let redelivered = sampleBatch(jobID: "job-9", requestID: "req-1", videoID: "video-9", contentHash: sha256Like("b"))
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(redelivered) }
            #expect(error?.code == .duplicateRequest)
            #expect(error?.isRetryable == false)
            #expect(try await catalog.job(id: "job-9") == nil)
            #expect(try await catalog.video(contentSHA256: sha256Like("b")) == nil)
            #expect(try await catalog.job(requestID: "req-1")?.id == "job-1")
            try await catalog.close()
        }
    }

    @Test func requestRacingUnderTwoJobIDsIsRecordedOnce() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            let batches = (0..<4).map { index in
                sampleBatch(jobID: "job-\(index)", requestID: "req-same", videoID: "video-\(index)",
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
            #expect(try db.psql("SELECT count(*) FROM jobs WHERE request_id = 'req-same'") == ["1"])
            #expect(try db.psql("SELECT count(*) FROM videos") == ["1"])
        }
    }

    @Test func batchFailingHalfwayIsRolledBackWhole() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            let first = sampleBatch()
            try await catalog.commit(first)

            // The video, streams and job insert fine; the repeated task run then breaks the primary key.
            var broken = sampleBatch(jobID: "job-2", requestID: "req-2", videoID: "33333333-3333-3333-3333-333333333333",
                                     contentHash: sha256Like("c"), sourcePath: "/inbox/other.mp4")
            broken.taskRuns.append(broken.taskRuns[0])
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(broken) }
            #expect(error?.code == .constraintViolation)
            #expect(error?.isRetryable == false)

            #expect(try await catalog.video(contentSHA256: sha256Like("c")) == nil)
            #expect(try await catalog.streams(videoID: "33333333-3333-3333-3333-333333333333").isEmpty)
            #expect(try await catalog.job(id: "job-2") == nil)
            #expect(try await catalog.job(id: "job-1") == first.job)
            #expect(try db.psql("SELECT count(*) FROM task_runs") == ["3"])

            // The pooled connection is usable afterwards and the fixed batch goes in.
            broken.taskRuns.removeLast()
            try await catalog.commit(broken)
            #expect(try await catalog.job(id: "job-2") == broken.job)
            try await catalog.close()
        }
    }

    @Test func foreignKeysAreEnforced() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            let orphan = GoldBatch(job: JobRecord(id: "job-x", origin: "cli", sourcePath: "/x.mp4", state: .succeeded,
                                                  videoID: "no-such-video", createdAt: timestamp(1_700_000_000)))
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(orphan) }
            #expect(error?.code == .constraintViolation)
            try await catalog.close()
        }
    }

    @Test func jobsAreListedNewestFirst() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
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
            #expect(try await catalog.job(id: "job-2")?.createdAt == timestamp(1_700_000_000.000001))
            try await catalog.close()
        }
    }

    @Test func lateTaskRunsAreUpsertedAndNotificationsMarkedSent() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            let batch = sampleBatch()
            try await catalog.commit(batch)
            let notify = TaskRunRecord(jobID: batch.job.id, task: "notify", state: "running", startedAt: timestamp(1_700_000_010))
            try await catalog.recordTaskRuns([notify])
            var finished = notify
            finished.state = "succeeded"
            finished.finishedAt = timestamp(1_700_000_011.5)
            finished.durationMilliseconds = 1500
            try await catalog.recordTaskRuns([finished])
            #expect(try await catalog.taskRuns(jobID: batch.job.id).filter { $0.task == "notify" } == [finished])

            let sentAt = timestamp(1_700_000_012.000007)
            try await catalog.markNotificationSent(id: "<job-1.ready@vidpipe>", at: sentAt, path: nil)
            let notification = try #require(try await catalog.notifications(jobID: batch.job.id).first)
            #expect(notification.state == "sent")
            #expect(notification.sentAt == sentAt)
            try await catalog.close()
            #expect(try db.psql("SELECT count(*) FROM task_runs WHERE task = 'notify'") == ["1"])
        }
    }

    /// Two notifiers claiming at once never hold the same notification; a lease that ends
    /// makes an unsent one due again.
    @Test func concurrentClaimsAreDisjoint() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            var expected: Set<String> = []
            for index in 0..<12 {
                var batch = sampleBatch(jobID: "job-\(index)", requestID: "req-\(index)", videoID: "video-\(index)",
                                        contentHash: String(format: "%064d", index + 1))
                batch.notifications = batch.notifications.map { notification in
                    var notification = notification
                    notification.id = "<req-\(index).ready@vidpipe>"
                    notification.jobID = batch.job.id
                    return notification
                }
                expected.formUnion(batch.notifications.map(\.id))
                try await catalog.commit(batch)
            }
            let now = timestamp(1_800_000_000)
            let lease = now.addingTimeInterval(120)
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await catalog.claimNotifications(dueBy: now, limit: 5, leaseUntil: lease).map(\.id) }
                }
                var claims: [[String]] = []
                for try await claim in group { claims.append(claim) }
                return claims
            }
            let claimed = claims.flatMap { $0 }
            #expect(claimed.count == expected.count, "\(claims)")
            #expect(Set(claimed) == expected)
            #expect(try await catalog.claimNotifications(dueBy: now, limit: 50, leaseUntil: lease).isEmpty)
            #expect(try await catalog.claimNotifications(dueBy: lease, limit: 50, leaseUntil: lease.addingTimeInterval(60)).count == expected.count)
            try await catalog.close()
        }
    }

    @Test func closedCatalogThrowsClosed() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            try await catalog.close()
            try await catalog.close()
            let error = await #expect(throws: CatalogError.self) { try await catalog.recentJobs(limit: 1) }
            #expect(error?.code == .closed)
        }
    }

    /// A commit in flight when PostgreSQL restarts fails retryably with the server's own
    /// reason, not by running out its deadline; the pool reconnects and the retried commit
    /// (and the next one) succeed.
    ///
    /// The commit's rollback used to go out on the closed connection, where PostgresNIO
    /// never answers it: the commit then ended only at its deadline, and leaked its lease.
    @Test(.timeLimit(.minutes(1)))
    func serverRestartMidCommitIsRetryable() async throws {
        try await TestDatabase.with { db in
            // A short deadline bounds the test should a call be left unanswered again.
            let catalog = try await db.catalog(callDeadline: .seconds(10))
            try await catalog.commit(sampleBatch())

            // Another session holds the lock this job's commit takes, so the commit is
            // provably inside its transaction when the server goes down.
            let batch = sampleBatch(jobID: "job-r", requestID: "req-r", videoID: "video-r", contentHash: sha256Like("r"))
            let blocker = try db.psqlInBackground(
                "SELECT pg_advisory_lock(\(PostgresCatalog.lockNamespace), hashtext('job-r')); SELECT pg_sleep(60)"
            )
            defer { if blocker.isRunning { blocker.terminate() } }
            try await waitUntil { try db.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") == ["1"] }
            let commit = Task { try await catalog.commit(batch) }
            try await waitUntil { try db.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == ["1"] }

            try postgresService("restart")
            let error = await #expect(throws: CatalogError.self) { try await commit.value }
            #expect(error?.isRetryable == true, "\(String(describing: error))")
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("did not answer within") == false, "\(String(describing: error))")

            try await catalog.commit(batch)
            #expect(try await catalog.job(id: "job-r") == batch.job)
            try await catalog.commit(sampleBatch(jobID: "job-s", requestID: "req-s", videoID: "video-s", contentHash: sha256Like("s")))
            #expect(try await catalog.recentJobs(limit: 10).count == 3)
            try await catalog.close()
        }
    }

    private func waitUntil(_ condition: () throws -> Bool) async throws {
        for _ in 0..<100 {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestEnvironmentError("condition not met within 5 s")
    }
}

@Suite("PostgresConnectionSettings")
struct PostgresConnectionSettingsTests {
    @Test func parsesAURIAndNeverShowsThePassword() throws {
        let settings = try PostgresConnectionSettings(uri: "postgres://vid%40pipe:s3cr%2Ft@db.example:6543/catalog?sslmode=require&connect_timeout=3")
        #expect(settings.host == "db.example")
        #expect(settings.port == 6543)
        #expect(settings.username == "vid@pipe")
        #expect(settings.password == "s3cr/t")
        #expect(settings.database == "catalog")
        #expect(settings.sslMode == .require)
        #expect(settings.connectTimeout == .seconds(3))
        #expect(settings.description == "postgres://vid@pipe:***@db.example:6543/catalog?sslmode=require")
        #expect(!String(reflecting: settings).contains("s3cr"))
        let configuration = settings.clientConfiguration()
        #expect(configuration.host == "db.example")
        #expect(configuration.port == 6543)
        #expect(configuration.password == "s3cr/t")
    }

    @Test func defaultsFollowLibpq() throws {
        let settings = try PostgresConnectionSettings(uri: "postgresql://postgres@127.0.0.1")
        #expect(settings.port == 5432)
        #expect(settings.database == "postgres")
        #expect(settings.password == nil)
        #expect(settings.sslMode == .prefer)
        #expect(settings.description == "postgres://postgres@127.0.0.1:5432/postgres?sslmode=prefer")
    }

    @Test(arguments: [
        "mysql://u@h/db", "postgres://h/db", "postgres://u@/db", "postgres://u:pw@h/db?sslmode=sometimes",
        "postgres://u:pw@h/db?connect_timeout=0", "postgres://u:pw@h/db?target_session_attrs=any", "not a uri",
    ])
    func refusesMalformedURIsWithoutLeakingThePassword(uri: String) {
        let error = #expect(throws: CatalogError.self) { try PostgresConnectionSettings(uri: uri) }
        #expect(error?.code == .openFailed)
        #expect(error?.message.contains("pw") == false)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
