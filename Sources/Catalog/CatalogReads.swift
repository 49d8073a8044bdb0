import Foundation

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

    package func jobs(matching query: JobQuery) async throws -> [JobRecord] {
        guard query.limit > 0 else { return [] }
        var statement: CatalogStatement = "SELECT * FROM jobs WHERE 1 = 1"
        if !query.states.isEmpty {
            statement.append(sql: " AND state IN (")
            for (index, state) in query.states.enumerated() {
                if index > 0 { statement.append(sql: ", ") }
                statement.append(state)
            }
            statement.append(sql: ")")
        }
        if let since = query.createdSince {
            statement.append(sql: " AND created_at >= ")
            statement.append(since)
        }
        statement.append(sql: " ORDER BY created_at DESC, id")
        statement.append(dialect: .byteOrder)
        statement.append(sql: " DESC LIMIT ")
        statement.append(query.limit)
        return try await fetch(JobRecord.self, statement)
    }

    package func jobs(videoID: String) async throws -> [JobRecord] {
        try await fetch(
            JobRecord.self,
            """
            SELECT * FROM jobs WHERE video_id = \(videoID) OR duplicate_of = \(videoID)
            ORDER BY created_at DESC, id\(dialect: .byteOrder) DESC
            """
        )
    }

    package func retries(of jobID: String) async throws -> [JobRecord] {
        try await fetch(
            JobRecord.self, "SELECT * FROM jobs WHERE retry_of = \(jobID) ORDER BY created_at, id\(dialect: .byteOrder)"
        )
    }

    package func jobTallies(finishedSince since: Date?) async throws -> [JobTally] {
        // SUM of a BIGINT is NUMERIC in PostgreSQL: cast back so both databases give an integer.
        var statement: CatalogStatement = """
            SELECT j.state, j.verdict, COUNT(*) AS jobs, CAST(COALESCE(SUM(v.size_bytes), 0) AS BIGINT) AS video_bytes
            FROM jobs j LEFT JOIN videos v ON v.id = j.video_id
            """
        if let since {
            statement.append(sql: " WHERE j.finished_at >= ")
            statement.append(since)
        }
        statement.append(sql: " GROUP BY j.state, j.verdict")
        let rows = try await execute(statement, table: "jobs")
        // Sorted here: the databases place NULL verdicts at opposite ends.
        return try rows.map { row in
            JobTally(state: try row.value("state", of: "jobs"), verdict: try row.optionalString("verdict"),
                     jobs: try row.int64("jobs"), videoBytes: try row.int64("video_bytes"))
        }.sorted { ($0.state.rawValue, $0.verdict ?? "") < ($1.state.rawValue, $1.verdict ?? "") }
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

/// The ``Catalog`` reads, the same on every database.
extension CatalogBackend {
    public func video(contentSHA256: String) async throws -> VideoRecord? {
        try await autocommit(#function) { try await $0.video(contentSHA256: contentSHA256) }
    }

    public func video(id: String) async throws -> VideoRecord? {
        try await autocommit(#function) { try await $0.video(id: id) }
    }

    public func job(id: String) async throws -> JobRecord? {
        try await autocommit(#function) { try await $0.job(id: id) }
    }

    public func job(requestID: String) async throws -> JobRecord? {
        try await autocommit(#function) { try await $0.job(requestID: requestID) }
    }

    public func jobs(sourcePath: String) async throws -> [JobRecord] {
        try await autocommit(#function) { try await $0.jobs(sourcePath: sourcePath) }
    }

    public func recentJobs(limit: Int) async throws -> [JobRecord] {
        try await autocommit(#function) { try await $0.recentJobs(limit: limit) }
    }

    public func jobs(matching query: JobQuery) async throws -> [JobRecord] {
        try await autocommit(#function) { try await $0.jobs(matching: query) }
    }

    public func jobs(videoID: String) async throws -> [JobRecord] {
        try await autocommit(#function) { try await $0.jobs(videoID: videoID) }
    }

    public func retries(of jobID: String) async throws -> [JobRecord] {
        try await autocommit(#function) { try await $0.retries(of: jobID) }
    }

    public func jobTallies(finishedSince since: Date?) async throws -> [JobTally] {
        try await autocommit(#function) { try await $0.jobTallies(finishedSince: since) }
    }

    public func taskRuns(jobID: String) async throws -> [TaskRunRecord] {
        try await autocommit(#function) { try await $0.taskRuns(jobID: jobID) }
    }

    public func findings(jobID: String) async throws -> [QCFindingRecord] {
        try await autocommit(#function) { try await $0.findings(jobID: jobID) }
    }

    public func streams(videoID: String) async throws -> [StreamRecord] {
        try await autocommit(#function) { try await $0.streams(videoID: videoID) }
    }

    public func notifications(jobID: String) async throws -> [NotificationRecord] {
        try await autocommit(#function) { try await $0.notifications(jobID: jobID) }
    }

    public func renditions(videoID: String) async throws -> [RenditionRecord] {
        try await autocommit(#function) { try await $0.renditions(videoID: videoID) }
    }

    public func sceneCuts(videoID: String) async throws -> [SceneCutRecord] {
        try await autocommit(#function) { try await $0.sceneCuts(videoID: videoID) }
    }

    public func fingerprints() async throws -> [FingerprintRecord] {
        try await autocommit(#function) { try await $0.fingerprints() }
    }
}
