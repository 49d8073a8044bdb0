/// The ``Catalog`` reads, one statement each, for every database. Orders are total (text
/// tie-breakers in byte order), so both databases list rows alike.
extension CatalogConnection {
    package func video(contentSHA256: String) async throws -> VideoRecord? {
        try await fetch(VideoRecord.self, "SELECT * FROM videos WHERE content_sha256 = \(contentSHA256)").first
    }

    package func video(id: String) async throws -> VideoRecord? {
        try await fetch(VideoRecord.self, "SELECT * FROM videos WHERE id = \(id)").first
    }

    package func job(id: String) async throws -> JobRecord? {
        try await fetch(JobRecord.self, "SELECT * FROM jobs WHERE id = \(id)").first
    }

    package func job(requestID: String) async throws -> JobRecord? {
        try await fetch(JobRecord.self, "SELECT * FROM jobs WHERE request_id = \(requestID)").first
    }

    package func jobs(sourcePath: String) async throws -> [JobRecord] {
        try await fetch(
            JobRecord.self,
            "SELECT * FROM jobs WHERE source_path = \(sourcePath) ORDER BY created_at DESC, id\(dialect: .byteOrder) DESC"
        )
    }

    package func recentJobs(limit: Int) async throws -> [JobRecord] {
        // SQLite reads a negative LIMIT as "no limit", PostgreSQL refuses it.
        guard limit > 0 else { return [] }
        return try await fetch(
            JobRecord.self, "SELECT * FROM jobs ORDER BY created_at DESC, id\(dialect: .byteOrder) DESC LIMIT \(limit)"
        )
    }

    package func taskRuns(jobID: String) async throws -> [TaskRunRecord] {
        try await fetch(
            TaskRunRecord.self, "SELECT * FROM task_runs WHERE job_id = \(jobID) ORDER BY task\(dialect: .byteOrder), attempt"
        )
    }

    package func findings(jobID: String) async throws -> [QCFindingRecord] {
        try await fetch(QCFindingRecord.self, "SELECT * FROM qc_findings WHERE job_id = \(jobID) ORDER BY seq")
    }

    package func streams(videoID: String) async throws -> [StreamRecord] {
        try await fetch(StreamRecord.self, "SELECT * FROM streams WHERE video_id = \(videoID) ORDER BY idx")
    }

    package func notifications(jobID: String) async throws -> [NotificationRecord] {
        try await fetch(
            NotificationRecord.self,
            "SELECT * FROM notifications WHERE job_id = \(jobID) ORDER BY created_at, id\(dialect: .byteOrder)"
        )
    }

    package func renditions(videoID: String) async throws -> [RenditionRecord] {
        try await fetch(
            RenditionRecord.self,
            "SELECT * FROM renditions WHERE video_id = \(videoID) ORDER BY height DESC, name\(dialect: .byteOrder)"
        )
    }

    package func sceneCuts(videoID: String) async throws -> [SceneCutRecord] {
        try await fetch(SceneCutRecord.self, "SELECT * FROM scene_cuts WHERE video_id = \(videoID) ORDER BY seq")
    }

    package func fingerprints() async throws -> [FingerprintRecord] {
        try await fetch(FingerprintRecord.self, "SELECT * FROM fingerprints ORDER BY video_id\(dialect: .byteOrder)")
    }
}
