extension Migration {
    /// Version 1: videos, their streams, jobs, task runs, findings and notifications.
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
