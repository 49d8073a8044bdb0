import ArgumentParser
import Catalog
import Foundation
import Ingest

/// `vidpipe status [ID|PATH]`: job state from the catalog.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show recent jobs, or one job (by job, request or video id) or the jobs of one file path."
    )

    @Argument(help: "A job id, request id, video id, or a file path. Omit for the most recent jobs.")
    var target: String?

    @Option(help: "How many recent jobs to list.")
    var limit = 20

    @Flag(help: "Print JSON.")
    var json = false

    /// Everything known about one job.
    struct JobDetail: Encodable {
        var job: JobRecord
        var video: VideoRecord?
        var streams: [StreamRecord]
        var taskRuns: [TaskRunRecord]
        var findings: [QCFindingRecord]
        var notifications: [NotificationRecord]
    }

    func run() async throws {
        let bootstrap = try Bootstrap(consoleLevel: .warning)
        let catalog = try await bootstrap.openCatalog()
        defer { Task { try? await catalog.close() } }

        guard let target else {
            try emit(list: try await catalog.recentJobs(limit: limit))
            return
        }
        let byID = try await catalog.job(id: target)
        let byRequest = byID == nil ? try await catalog.job(requestID: target) : nil
        if let job = byID ?? byRequest {
            try emit(detail: try await detail(of: job, catalog: catalog))
            return
        }
        if let video = try await catalog.video(id: target) {
            try emit(list: try await catalog.jobs(sourcePath: video.sourcePath))
            return
        }
        let path = URL(fileURLWithPath: target, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).standardizedFileURL.path
        let jobs = try await catalog.jobs(sourcePath: path)
        guard !jobs.isEmpty else {
            FileHandle.standardError.write(Data("vidpipe: no job, request, video or file path \"\(target)\" in the catalog \(bootstrap.configuration.layout.catalog)\n".utf8))
            throw ExitStatus.someRejected
        }
        if jobs.count == 1 { try emit(detail: try await detail(of: jobs[0], catalog: catalog)) } else { try emit(list: jobs) }
    }

    private func detail(of job: JobRecord, catalog: any Catalog) async throws -> JobDetail {
        let video = try await (job.videoID ?? job.duplicateOf).asyncMap { try await catalog.video(id: $0) } ?? nil
        return JobDetail(job: job, video: video, streams: try await video.asyncMap { try await catalog.streams(videoID: $0.id) } ?? [],
                         taskRuns: try await catalog.taskRuns(jobID: job.id), findings: try await catalog.findings(jobID: job.id),
                         notifications: try await catalog.notifications(jobID: job.id))
    }

    private func emit(list jobs: [JobRecord]) throws {
        if json {
            print(String(decoding: try JSONEncoder.vidpipe.encode(jobs), as: UTF8.self))
            return
        }
        let rows = jobs.map { job in
            [job.id, job.createdAt.formatted(.iso8601), job.state.rawValue, job.verdict ?? "-",
             (job.sourcePath as NSString).lastPathComponent, job.errorCode ?? job.duplicateOf.map { "duplicate of \($0)" } ?? ""]
        }
        print(TextTable.render(header: ["JOB", "CREATED", "STATE", "VERDICT", "FILE", "NOTE"], rows: rows))
    }

    private func emit(detail: JobDetail) throws {
        if json {
            print(String(decoding: try JSONEncoder.vidpipe.encode(detail), as: UTF8.self))
            return
        }
        let job = detail.job
        var lines = [
            "job       \(job.id)", "request   \(job.requestID ?? "-")", "file      \(job.sourcePath)",
            "state     \(job.state.rawValue)" + (job.verdict.map { " (verdict \($0))" } ?? ""),
            "created   \(job.createdAt.formatted(.iso8601))",
        ]
        if let code = job.errorCode { lines.append("error     \(code): \(job.errorMessage ?? "")") }
        if let video = detail.video {
            lines.append("video     \(video.id) sha256 \(video.contentSHA256)")
            lines.append("bronze    \(video.bronzePath)")
        }
        if let log = job.logPath { lines.append("log       \(log)") }
        print(lines.joined(separator: "\n"))
        if !detail.taskRuns.isEmpty {
            print("\n" + TextTable.render(header: ["TASK", "ATTEMPT", "STATE", "MS", "ERROR"], rows: detail.taskRuns.map { run in
                [run.task, "\(run.attempt)", run.state.rawValue, run.durationMilliseconds.map { String(format: "%.1f", $0) } ?? "-", run.error ?? ""]
            }))
        }
        if !detail.findings.isEmpty {
            print("\nfindings:\n" + detail.findings.map { "  \($0.severity)  \($0.kind)  \($0.message)" }.joined(separator: "\n"))
        }
        if !detail.notifications.isEmpty {
            print("\nnotifications:\n" + detail.notifications.map { "  \($0.kind.rawValue)  \($0.state.rawValue)  \($0.recipient)  \($0.path ?? "")" }.joined(separator: "\n"))
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
