/// One versioned schema change, written for every backend the catalog supports so the
/// schemas stay in step.
///
/// Each dialect is a list of single statements, because SQLite prepares one statement at a time.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sqlite: [String]
    public var postgres: [String]

    public init(version: Int, name: String, sqlite: [String], postgres: [String]) {
        self.version = version
        self.name = name
        self.sqlite = sqlite
        self.postgres = postgres
    }
}

extension Migration {
    /// Creates the table that records applied migrations; run before any migration.
    public static let bookkeepingSQLite = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """
    public static let bookkeepingPostgres = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL
        )
        """

    /// Every migration, in version order. Append new ones (e.g. version 2 adds `renditions`);
    /// never edit one that has shipped.
    ///
    /// Types map one to one: SQLite TEXT timestamps hold fixed-width UTC ISO-8601 with
    /// microseconds (they sort like TIMESTAMPTZ); INTEGER is 64-bit like BIGINT; REAL is
    /// DOUBLE PRECISION; JSON is TEXT in SQLite and JSON in PostgreSQL (JSON, not JSONB:
    /// JSONB reorders keys and respaces, so the text would not read back as written). Ids are TEXT in both,
    /// so UUID strings read back exactly as written.
    public static let all: [Migration] = [initial, silver, notificationOutbox, jobSidecar, jobRetry, jobWorker, webhookOutbox, hlsMaster]
}

extension Migration {
    /// Version 2: what the silver layer derives from a video.
    static let silver = Migration(
        version: 2,
        name: "silver",
        sqlite: [
            """
            CREATE TABLE renditions (
                video_id         TEXT NOT NULL REFERENCES videos (id),
                name             TEXT NOT NULL,
                path             TEXT NOT NULL,
                width            INTEGER NOT NULL,
                height           INTEGER NOT NULL,
                duration_seconds REAL,
                size_bytes       INTEGER NOT NULL,
                bit_rate         INTEGER,
                psnr             REAL,
                ssim             REAL,
                verified         INTEGER NOT NULL CHECK (verified IN (0, 1)),
                PRIMARY KEY (video_id, name)
            )
            """,
            """
            CREATE TABLE scene_cuts (
                video_id TEXT NOT NULL REFERENCES videos (id),
                seq      INTEGER NOT NULL,
                seconds  REAL NOT NULL,
                score    REAL NOT NULL,
                PRIMARY KEY (video_id, seq)
            )
            """,
            """
            CREATE TABLE fingerprints (
                video_id         TEXT PRIMARY KEY REFERENCES videos (id),
                seconds_per_hash REAL NOT NULL,
                hashes_hex       TEXT NOT NULL
            )
            """,
        ],
        postgres: [
            """
            CREATE TABLE renditions (
                video_id         TEXT NOT NULL REFERENCES videos (id),
                name             TEXT NOT NULL,
                path             TEXT NOT NULL,
                width            BIGINT NOT NULL,
                height           BIGINT NOT NULL,
                duration_seconds DOUBLE PRECISION,
                size_bytes       BIGINT NOT NULL,
                bit_rate         BIGINT,
                psnr             DOUBLE PRECISION,
                ssim             DOUBLE PRECISION,
                verified         BOOLEAN NOT NULL,
                PRIMARY KEY (video_id, name)
            )
            """,
            """
            CREATE TABLE scene_cuts (
                video_id TEXT NOT NULL REFERENCES videos (id),
                seq      BIGINT NOT NULL,
                seconds  DOUBLE PRECISION NOT NULL,
                score    DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (video_id, seq)
            )
            """,
            """
            CREATE TABLE fingerprints (
                video_id         TEXT PRIMARY KEY REFERENCES videos (id),
                seconds_per_hash DOUBLE PRECISION NOT NULL,
                hashes_hex       TEXT NOT NULL
            )
            """,
        ]
    )
}

extension Migration {
    /// Version 3: notifications carry their rendered message and delivery attempts, making
    /// the table a transactional outbox a notifier drains whenever the mail server is up.
    static let notificationOutbox = Migration(
        version: 3,
        name: "notification_outbox",
        sqlite: [
            "ALTER TABLE notifications ADD COLUMN sender TEXT",
            "ALTER TABLE notifications ADD COLUMN message TEXT",
            "ALTER TABLE notifications ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE notifications ADD COLUMN last_error TEXT",
            "ALTER TABLE notifications ADD COLUMN next_attempt_at TEXT",
            "CREATE INDEX notifications_pending ON notifications (state, next_attempt_at)",
        ],
        postgres: [
            "ALTER TABLE notifications ADD COLUMN sender TEXT",
            "ALTER TABLE notifications ADD COLUMN message TEXT",
            "ALTER TABLE notifications ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE notifications ADD COLUMN last_error TEXT",
            "ALTER TABLE notifications ADD COLUMN next_attempt_at TIMESTAMPTZ",
            "CREATE INDEX notifications_pending ON notifications (state, next_attempt_at)",
        ]
    )
}

extension Migration {
    /// Version 4: each job keeps the sidecar metadata it arrived with, so a duplicate's own
    /// metadata (a new title for the same bytes, say) is not lost.
    static let jobSidecar = Migration(
        version: 4,
        name: "job_sidecar",
        sqlite: ["ALTER TABLE jobs ADD COLUMN sidecar_json TEXT"],
        postgres: ["ALTER TABLE jobs ADD COLUMN sidecar_json JSON"]
    )
}

extension Migration {
    /// Version 5: a job run again by `vidpipe retry` points at the job it retries, so the
    /// history of a file that was fixed and sent again stays one chain.
    static let jobRetry = Migration(
        version: 5,
        name: "job_retry",
        sqlite: [
            "ALTER TABLE jobs ADD COLUMN retry_of TEXT REFERENCES jobs (id)",
            "CREATE INDEX jobs_retry_of ON jobs (retry_of)",
        ],
        postgres: [
            "ALTER TABLE jobs ADD COLUMN retry_of TEXT REFERENCES jobs (id)",
            "CREATE INDEX jobs_retry_of ON jobs (retry_of)",
        ]
    )
}

extension Migration {
    /// Version 6: which daemon ran each job (`VIDPIPE_WORKER_ID`, by default its hostname), so
    /// a fleet sharing one catalog can tell where a request went.
    static let jobWorker = Migration(
        version: 6,
        name: "job_worker",
        sqlite: ["ALTER TABLE jobs ADD COLUMN worker TEXT"],
        postgres: ["ALTER TABLE jobs ADD COLUMN worker TEXT"]
    )
}

extension Migration {
    /// Version 7: the webhook outbox. A delivery row per event and endpoint is written in the
    /// gold transaction with its signed-to-be body; every HTTP attempt is kept beside it.
    static let webhookOutbox = Migration(
        version: 7,
        name: "webhook_outbox",
        sqlite: webhookTables(integer: "INTEGER", timestamp: "TEXT", real: "REAL"),
        postgres: webhookTables(integer: "BIGINT", timestamp: "TIMESTAMPTZ", real: "DOUBLE PRECISION")
    )

    /// The two tables are the same in both dialects but for the type names.
    private static func webhookTables(integer: String, timestamp: String, real: String) -> [String] {
        [
            """
            CREATE TABLE webhook_deliveries (
                id              TEXT PRIMARY KEY,
                event_id        TEXT NOT NULL,
                job_id          TEXT NOT NULL REFERENCES jobs (id),
                event_type      TEXT NOT NULL,
                url             TEXT NOT NULL,
                body            TEXT NOT NULL,
                state           TEXT NOT NULL,
                created_at      \(timestamp) NOT NULL,
                delivered_at    \(timestamp),
                attempts        \(integer) NOT NULL DEFAULT 0,
                last_status     \(integer),
                last_error      TEXT,
                next_attempt_at \(timestamp),
                UNIQUE (event_id, url)
            )
            """,
            "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (state, next_attempt_at)",
            "CREATE INDEX webhook_deliveries_job_id ON webhook_deliveries (job_id)",
            """
            CREATE TABLE webhook_attempts (
                delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id),
                attempt      \(integer) NOT NULL CHECK (attempt >= 1),
                attempted_at \(timestamp) NOT NULL,
                status       \(integer),
                latency_ms   \(real) NOT NULL,
                error        TEXT,
                PRIMARY KEY (delivery_id, attempt)
            )
            """,
        ]
    }
}

extension Migration {
    /// Version 8: where a video's adaptive stream (its HLS master playlist) is, so players
    /// and `vidpipe show` find it without listing the silver folder.
    static let hlsMaster = Migration(
        version: 8,
        name: "hls_master",
        sqlite: ["ALTER TABLE videos ADD COLUMN hls_master_path TEXT"],
        postgres: ["ALTER TABLE videos ADD COLUMN hls_master_path TEXT"]
    )
}
