import Catalog
@testable import CatalogPostgres
import Foundation
import Testing
import VidpipeTestSupport

/// What only the PostgreSQL catalog does: its schema's types and keys, its encodings, and
/// its answers when the server restarts or stops answering. The shared behaviour is in the
/// catalog contract suite. Serialized: one test restarts the server.
@Suite("PostgresCatalog", .serialized, .enabled(if: PostgresTestServer.shouldRun, Comment(rawValue: PostgresTestServer.skipReason)))
struct PostgresCatalogTests {
    @Test func migrationCreatesTheKeysAndTypes() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            try await catalog.close()
            // Primary keys, in key order.
            let primaryKey = """
                SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM pg_index i
                CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indisprimary AND i.indrelid = '%@'::regclass
                """
            for (table, key) in [("videos", "id"), ("streams", "video_id,idx"), ("jobs", "id"), ("task_runs", "job_id,task,attempt"),
                                 ("qc_findings", "job_id,seq"), ("notifications", "id"), ("renditions", "video_id,name"),
                                 ("scene_cuts", "video_id,seq"), ("fingerprints", "video_id"), ("schema_migrations", "version"),
                                 ("webhook_deliveries", "id"), ("webhook_attempts", "delivery_id,attempt")] {
                #expect(try db.psql(primaryKey.replacingOccurrences(of: "%@", with: table)) == [key], "\(table)")
            }
            // The request id is unique where present (a partial unique index); the content hash is unique.
            #expect(try db.psql("SELECT indisunique, indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'jobs_request_id'::regclass") == ["t|t"])
            #expect(try db.psql("SELECT count(*) FROM pg_constraint WHERE conrelid = 'videos'::regclass AND contype = 'u'") == ["1"])
            // jobs.retry_of is the 11th; webhook_deliveries.job_id and webhook_attempts.delivery_id the 12th and 13th.
            #expect(try db.psql("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == ["13"])
            #expect(try db.psql("""
                SELECT column_name || ' ' || data_type FROM information_schema.columns
                WHERE table_name = 'videos' AND column_name IN ('probe_json', 'first_seen_at', 'size_bytes') ORDER BY 1
                """) == ["first_seen_at timestamp with time zone", "probe_json json", "size_bytes bigint"])
        }
    }

    /// What psql reads: the stored values themselves, not PostgresNIO's view of them.
    @Test func storedValuesArePostgresTypes() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog()
            try await catalog.commit(CatalogFixtures.batch())
            try await catalog.close()

            #expect(try db.psql("""
                SELECT id, content_sha256 = repeat('a', 64), size_bytes, width, probe_json::text, sidecar_json->>'title',
                       to_char(first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
                FROM videos
                """) == [#"11111111-1111-1111-1111-111111111111|t|5000000000|1920|{"format":{"duration":"12.345"},"ünïcode":"✓"}|Clip|2023-11-14T22:13:20.123456"#])
            #expect(try db.psql("SELECT idx, kind, frame_rate = 30000.0::float8 / 1001, rotation_degrees, detail_json::text FROM streams ORDER BY idx")
                    == [#"0|video|t|-90|{"level":40}"#, "1|audio|||{}"])
            #expect(try db.psql("SELECT task, attempt, state, duration_ms, started_at IS NULL FROM task_runs ORDER BY task, attempt")
                    == ["probe|1|retrying|1000|f", "probe|2|succeeded|1000.5|f", "qc|0|skipped||t"])
            #expect(try db.psql("SELECT seq, kind, video_id IS NULL FROM qc_findings ORDER BY seq") == ["0|qc.black|f", "1|policy.container|t"])
            #expect(try db.psql("SELECT id, state, subject, sent_at IS NULL FROM notifications") == ["<job-1.ready@vidpipe>|pending|Ready: clip.mp4 ✓|t"])
            #expect(try db.psql("SELECT name, verified, psnr FROM renditions ORDER BY name") == ["360p|f|", "720p|t|41.5"])
            #expect(try db.psql("SELECT seq, seconds, score FROM scene_cuts ORDER BY seq") == ["0|2|31.5", "1|4.04|18"])
            #expect(try db.psql("SELECT video_id, hashes_hex FROM fingerprints") == ["11111111-1111-1111-1111-111111111111|00ff00ff00ff00ffa5a5a5a5a5a5a5a5"])
            #expect(try db.psql("SELECT request_id, state, verdict, extract(epoch FROM finished_at - created_at) FROM jobs") == ["req-1|succeeded|warn|9.250000"])
        }
    }

    /// A call the server does not answer in time (here: waiting on a lock another session
    /// holds) ends at the call deadline, retryably, and the lock's release lets the retry in.
    @Test(.timeLimit(.minutes(1)))
    func callUnansweredPastItsDeadlineIsRetryable() async throws {
        try await TestDatabase.with { db in
            let catalog = try await db.catalog(callDeadline: .seconds(1))
            let batch = CatalogFixtures.batch(jobID: "job-d", requestID: "req-d")
            let blocker = try db.psqlInBackground(
                "SELECT pg_advisory_lock(\(PostgresCatalog.lockNamespace), hashtext('job-d')); SELECT pg_sleep(60)"
            )
            defer { if blocker.isRunning { blocker.terminate() } }
            try await waitUntil("the other session holds the lock") { try db.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") == ["1"] }

            let started = ContinuousClock.now
            let error = await #expect(throws: CatalogError.self) { try await catalog.commit(batch) }
            #expect(error?.code == .unavailable)
            #expect(error?.isRetryable == true)
            #expect(error?.message.contains("did not answer within") == true, "\(String(describing: error))")
            #expect(ContinuousClock.now - started < .seconds(10))

            // The server notices a client gone only when pg_sleep ends: end the session itself.
            try db.psql("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            try await waitUntil("the lock released") { try db.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == ["0"] }
            try await catalog.commit(batch)
            try await catalog.close()
            #expect(try db.psql("SELECT id FROM jobs") == ["job-d"])
        }
    }

    /// A commit in flight when PostgreSQL restarts fails retryably with the server's own
    /// reason, not by running out its deadline; the pool reconnects and the retried commit
    /// (and the next one) succeed.
    /// The rollback must not go out on the closed connection: PostgresNIO never answers it,
    /// so the commit would end only at its deadline, and leak its lease.
    @Test(.timeLimit(.minutes(1)))
    func serverRestartMidCommitIsRetryable() async throws {
        try await TestDatabase.with { db in
            // A short deadline bounds the test should a call be left unanswered again.
            let catalog = try await db.catalog(callDeadline: .seconds(10))
            try await catalog.commit(CatalogFixtures.batch())

            // Another session holds the lock this job's commit takes, so the commit is
            // provably inside its transaction when the server goes down.
            let batch = CatalogFixtures.batch(jobID: "job-r", requestID: "req-r", videoID: "video-r", contentHash: CatalogFixtures.sha256Like("r"))
            let blocker = try db.psqlInBackground(
                "SELECT pg_advisory_lock(\(PostgresCatalog.lockNamespace), hashtext('job-r')); SELECT pg_sleep(60)"
            )
            defer { if blocker.isRunning { blocker.terminate() } }
            try await waitUntil("the other session holds the lock") { try db.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") == ["1"] }
            let commit = Task { try await catalog.commit(batch) }
            try await waitUntil("our session waits for the lock") { try db.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == ["1"] }

            try PostgresTestServer.service("restart")
            let error = await #expect(throws: CatalogError.self) { try await commit.value }
            #expect(error?.isRetryable == true, "\(String(describing: error))")
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("did not answer within") == false, "\(String(describing: error))")

            try await catalog.commit(batch)
            #expect(try await catalog.job(id: "job-r") == batch.job)
            try await catalog.commit(CatalogFixtures.batch(jobID: "job-s", requestID: "req-s", videoID: "video-s", contentHash: CatalogFixtures.sha256Like("s")))
            #expect(try await catalog.recentJobs(limit: 10).count == 3)
            try await catalog.close()
        }
    }
}
