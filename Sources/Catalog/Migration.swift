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
    public static let all: [Migration] = [initial, silver, notificationOutbox]

    static let initial = Migration(
        version: 1,
        name: "initial",
        sqlite: [
            """
            CREATE TABLE videos (
                id               TEXT PRIMARY KEY,
                content_sha256   TEXT NOT NULL UNIQUE CHECK (length(content_sha256) = 64),
                original_name    TEXT NOT NULL,
                source_path      TEXT NOT NULL,
                bronze_path      TEXT NOT NULL,
                size_bytes       INTEGER NOT NULL CHECK (size_bytes >= 0),
                container        TEXT,
                duration_seconds REAL,
                bit_rate         INTEGER,
                width            INTEGER,
                height           INTEGER,
                video_codec      TEXT,
                audio_codec      TEXT,
                probe_json       TEXT NOT NULL,
                sidecar_json     TEXT,
                first_seen_at    TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE streams (
                video_id         TEXT NOT NULL REFERENCES videos (id),
                idx              INTEGER NOT NULL CHECK (idx >= 0),
                kind             TEXT NOT NULL,
                codec            TEXT,
                profile          TEXT,
                width            INTEGER,
                height           INTEGER,
                frame_rate       REAL,
                pixel_format     TEXT,
                sample_rate      INTEGER,
                channels         INTEGER,
                channel_layout   TEXT,
                bit_rate         INTEGER,
                language         TEXT,
                rotation_degrees REAL,
                detail_json      TEXT NOT NULL,
                PRIMARY KEY (video_id, idx)
            )
            """,
            """
            CREATE TABLE jobs (
                id            TEXT PRIMARY KEY,
                request_id    TEXT,
                origin        TEXT NOT NULL,
                source_path   TEXT NOT NULL,
                state         TEXT NOT NULL,
                verdict       TEXT,
                error_code    TEXT,
                error_message TEXT,
                video_id      TEXT REFERENCES videos (id),
                duplicate_of  TEXT REFERENCES videos (id),
                created_at    TEXT NOT NULL,
                started_at    TEXT,
                finished_at   TEXT,
                log_path      TEXT
            )
            """,
            "CREATE UNIQUE INDEX jobs_request_id ON jobs (request_id) WHERE request_id IS NOT NULL",
            "CREATE INDEX jobs_source_path ON jobs (source_path, created_at)",
            "CREATE INDEX jobs_created_at ON jobs (created_at)",
            "CREATE INDEX jobs_video_id ON jobs (video_id)",
            """
            CREATE TABLE task_runs (
                job_id           TEXT NOT NULL REFERENCES jobs (id),
                task             TEXT NOT NULL,
                attempt          INTEGER NOT NULL CHECK (attempt >= 0),  -- 0: never started (skipped or cancelled)
                state            TEXT NOT NULL,
                started_at       TEXT,
                finished_at      TEXT,
                duration_ms      REAL,
                error            TEXT,
                PRIMARY KEY (job_id, task, attempt)
            )
            """,
            """
            CREATE TABLE qc_findings (
                job_id        TEXT NOT NULL REFERENCES jobs (id),
                seq           INTEGER NOT NULL,
                video_id      TEXT REFERENCES videos (id),
                kind          TEXT NOT NULL,
                severity      TEXT NOT NULL,
                message       TEXT NOT NULL,
                start_seconds REAL,
                end_seconds   REAL,
                PRIMARY KEY (job_id, seq)
            )
            """,
            """
            CREATE TABLE notifications (
                id         TEXT PRIMARY KEY,
                job_id     TEXT NOT NULL REFERENCES jobs (id),
                kind       TEXT NOT NULL,
                recipient  TEXT NOT NULL,
                subject    TEXT NOT NULL,
                state      TEXT NOT NULL,
                path       TEXT,
                created_at TEXT NOT NULL,
                sent_at    TEXT
            )
            """,
            "CREATE INDEX notifications_job_id ON notifications (job_id)",
        ],
        postgres: [
            """
            CREATE TABLE videos (
                id               TEXT PRIMARY KEY,
                content_sha256   TEXT NOT NULL UNIQUE CHECK (length(content_sha256) = 64),
                original_name    TEXT NOT NULL,
                source_path      TEXT NOT NULL,
                bronze_path      TEXT NOT NULL,
                size_bytes       BIGINT NOT NULL CHECK (size_bytes >= 0),
                container        TEXT,
                duration_seconds DOUBLE PRECISION,
                bit_rate         BIGINT,
                width            BIGINT,
                height           BIGINT,
                video_codec      TEXT,
                audio_codec      TEXT,
                probe_json       JSON NOT NULL,
                sidecar_json     JSON,
                first_seen_at    TIMESTAMPTZ NOT NULL
            )
            """,
            """
            CREATE TABLE streams (
                video_id         TEXT NOT NULL REFERENCES videos (id),
                idx              BIGINT NOT NULL CHECK (idx >= 0),
                kind             TEXT NOT NULL,
                codec            TEXT,
                profile          TEXT,
                width            BIGINT,
                height           BIGINT,
                frame_rate       DOUBLE PRECISION,
                pixel_format     TEXT,
                sample_rate      BIGINT,
                channels         BIGINT,
                channel_layout   TEXT,
                bit_rate         BIGINT,
                language         TEXT,
                rotation_degrees DOUBLE PRECISION,
                detail_json      JSON NOT NULL,
                PRIMARY KEY (video_id, idx)
            )
            """,
            """
            CREATE TABLE jobs (
                id            TEXT PRIMARY KEY,
                request_id    TEXT,
                origin        TEXT NOT NULL,
                source_path   TEXT NOT NULL,
                state         TEXT NOT NULL,
                verdict       TEXT,
                error_code    TEXT,
                error_message TEXT,
                video_id      TEXT REFERENCES videos (id),
                duplicate_of  TEXT REFERENCES videos (id),
                created_at    TIMESTAMPTZ NOT NULL,
                started_at    TIMESTAMPTZ,
                finished_at   TIMESTAMPTZ,
                log_path      TEXT
            )
            """,
            "CREATE UNIQUE INDEX jobs_request_id ON jobs (request_id) WHERE request_id IS NOT NULL",
            "CREATE INDEX jobs_source_path ON jobs (source_path, created_at)",
            "CREATE INDEX jobs_created_at ON jobs (created_at)",
            "CREATE INDEX jobs_video_id ON jobs (video_id)",
            """
            CREATE TABLE task_runs (
                job_id           TEXT NOT NULL REFERENCES jobs (id),
                task             TEXT NOT NULL,
                attempt          BIGINT NOT NULL CHECK (attempt >= 0),  -- 0: never started (skipped or cancelled)
                state            TEXT NOT NULL,
                started_at       TIMESTAMPTZ,
                finished_at      TIMESTAMPTZ,
                duration_ms      DOUBLE PRECISION,
                error            TEXT,
                PRIMARY KEY (job_id, task, attempt)
            )
            """,
            """
            CREATE TABLE qc_findings (
                job_id        TEXT NOT NULL REFERENCES jobs (id),
                seq           BIGINT NOT NULL,
                video_id      TEXT REFERENCES videos (id),
                kind          TEXT NOT NULL,
                severity      TEXT NOT NULL,
                message       TEXT NOT NULL,
                start_seconds DOUBLE PRECISION,
                end_seconds   DOUBLE PRECISION,
                PRIMARY KEY (job_id, seq)
            )
            """,
            """
            CREATE TABLE notifications (
                id         TEXT PRIMARY KEY,
                job_id     TEXT NOT NULL REFERENCES jobs (id),
                kind       TEXT NOT NULL,
                recipient  TEXT NOT NULL,
                subject    TEXT NOT NULL,
                state      TEXT NOT NULL,
                path       TEXT,
                created_at TIMESTAMPTZ NOT NULL,
                sent_at    TIMESTAMPTZ
            )
            """,
            "CREATE INDEX notifications_job_id ON notifications (job_id)",
        ]
    )
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
