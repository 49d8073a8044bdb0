import ArgumentParser
import Catalog
import Foundation
import Ingest
import Webhooks

/// `vidpipe status [ID|PATH]`: the catalog's summary, or one job.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Summarise the catalog (jobs by state and verdict, the last hour, recent failures), or show one job.",
        discussion: "With a job id, request id, video id or file path: that job's task runs in DAG order. `vidpipe jobs` lists jobs; `vidpipe show` tells everything about one."
    )

    @Argument(help: "A job id, request id, video id, or a file path. Omit for the summary.")
    var target: String?

    @Option(help: "How many recent failures the summary lists.")
    var failures = 10

    @Flag(help: "Print JSON.")
    var json = false

    /// The catalog at a glance.
    struct Summary: Encodable {
        var catalog: String
        var generatedAt: Date
        /// Every job, counted by state and verdict.
        var totals: [JobTally]
        var lastHour: Throughput
        /// The newest failed and rejected jobs, with their reasons.
        var recentFailures: [JobRecord]
        /// Webhook deliveries by state (pending, delivered, failed = given up).
        var webhooks: [WebhookTally]
        /// The newest given-up webhook deliveries, with their reasons.
        var givenUpWebhooks: [GivenUpWebhook]
    }

    /// A given-up webhook delivery as shown: the endpoint without query or user info (they
    /// may hold the receiver's token), no body.
    struct GivenUpWebhook: Encodable {
        var eventID: String
        var event: String
        var jobID: String
        var endpoint: String
        var createdAt: Date
        var attempts: Int
        var lastStatus: Int?
        var reason: String?

        init(_ delivery: WebhookDeliveryRecord) {
            eventID = delivery.eventID
            event = delivery.eventType
            jobID = delivery.jobID
            endpoint = WebhookEndpoint(delivery.url).description
            createdAt = delivery.createdAt
            attempts = delivery.attempts
            lastStatus = delivery.lastStatus
            reason = delivery.lastError
        }
    }

    /// Jobs that finished in a window, and the bytes of their videos.
    struct Throughput: Encodable {
        var since: Date
        var jobs: Int64
        var videoBytes: Int64
        var byState: [JobTally]
    }

    /// Everything the catalog holds about one job's run.
    struct JobDetail: Encodable {
        var job: JobRecord
        var video: VideoRecord?
        var taskRuns: [TaskRunRecord]
        var findings: [PolicyFinding]
        var notifications: [String]
    }

    func validate() throws {
        guard failures >= 0 else { throw ValidationError("--failures must be 0 or more") }
    }

    func run() async throws {
        let inspection = try await CatalogInspection.open()
        defer { Task { await inspection.close() } }
        let catalog = inspection.catalog
        guard let target else {
            try emit(try await summary(inspection))
            return
        }
        if let job = try await inspection.job(target) {
            try emit(detail: try await detail(of: job, inspection))
            return
        }
        let jobs = if let video = try await catalog.video(id: target) {
            try await catalog.jobs(videoID: video.id)
        } else {
            try await catalog.jobs(sourcePath: CatalogInspection.absolutePath(target))
        }
        guard !jobs.isEmpty else { throw inspection.notFound("job, request, video or file path", target) }
        if jobs.count == 1 {
            try emit(detail: try await detail(of: jobs[0], inspection))
        } else if json {
            try CatalogInspection.printJSON(jobs)
        } else {
            print(JobTable.render(jobs))
        }
    }

    private func summary(_ inspection: CatalogInspection) async throws -> Summary {
        let now = Date()
        let hourAgo = now.addingTimeInterval(-3_600)
        let lastHour = try await inspection.catalog.jobTallies(finishedSince: hourAgo)
        return Summary(
            catalog: inspection.bootstrap.catalogDescription, generatedAt: now,
            totals: try await inspection.catalog.jobTallies(finishedSince: nil),
            lastHour: Throughput(since: hourAgo, jobs: lastHour.map(\.jobs).reduce(0, +),
                                 videoBytes: lastHour.map(\.videoBytes).reduce(0, +), byState: lastHour),
            recentFailures: try await inspection.catalog.jobs(matching: JobQuery(states: [.failed, .rejected], limit: failures)),
            webhooks: try await inspection.catalog.webhookTallies(),
            givenUpWebhooks: try await inspection.catalog.givenUpWebhookDeliveries(limit: failures).map(GivenUpWebhook.init))
    }

    private func detail(of job: JobRecord, _ inspection: CatalogInspection) async throws -> JobDetail {
        let catalog = inspection.catalog
        let video = try await (job.videoID ?? job.duplicateOf).asyncMap { try await catalog.video(id: $0) } ?? nil
        return JobDetail(job: job, video: video, taskRuns: try inspection.inDAGOrder(try await catalog.taskRuns(jobID: job.id)),
                         findings: try await catalog.findings(jobID: job.id).map(PolicyFinding.init(recorded:)),
                         notifications: try await catalog.notifications(jobID: job.id).map(\.id))
    }

    private func emit(_ summary: Summary) throws {
        if json { return try CatalogInspection.printJSON(summary) }
        let total = summary.totals.map(\.jobs).reduce(0, +)
        print("catalog   \(summary.catalog)\njobs      \(total)\n")
        print(TextTable.render(header: ["STATE", "VERDICT", "JOBS", "VIDEO BYTES"], rows: summary.totals.map { tally in
            [tally.state.rawValue, tally.verdict ?? "-", "\(tally.jobs)", "\(tally.videoBytes)"]
        }))
        let hour = summary.lastHour
        print("\nlast hour: \(hour.jobs) jobs finished, \(ByteCountFormatter.string(fromByteCount: hour.videoBytes, countStyle: .file)) of video"
              + (hour.byState.isEmpty ? "" : " (" + hour.byState.map { "\($0.jobs) \($0.state.rawValue)" }.joined(separator: ", ") + ")"))
        if !summary.recentFailures.isEmpty {
            print("\nrecent failures:\n" + TextTable.render(header: ["JOB", "CREATED", "STATE", "FILE", "REASON"], rows: summary.recentFailures.map { job in
                [job.id, job.createdAt.formatted(.iso8601), job.state.rawValue, (job.sourcePath as NSString).lastPathComponent,
                 "\(job.errorCode ?? "-"): \(job.errorMessage ?? "")"]
            }))
        }
        guard !summary.webhooks.isEmpty else { return }
        print("\nwebhooks: " + summary.webhooks.map { "\($0.deliveries) \($0.state == .failed ? "given up" : $0.state.rawValue)" }.joined(separator: ", "))
        guard !summary.givenUpWebhooks.isEmpty else { return }
        print("\nwebhooks given up:\n" + TextTable.render(header: ["EVENT ID", "EVENT", "ENDPOINT", "ATTEMPTS", "LAST STATUS", "REASON"],
                                                            rows: summary.givenUpWebhooks.map { hook in
            [hook.eventID, hook.event, hook.endpoint, "\(hook.attempts)", hook.lastStatus.map { "\($0)" } ?? "-", hook.reason ?? ""]
        }))
    }

    private func emit(detail: JobDetail) throws {
        if json { return try CatalogInspection.printJSON(detail) }
        let job = detail.job
        var lines = [
            "job       \(job.id)", "request   \(job.requestID ?? "-")", "file      \(job.sourcePath)",
            "state     \(job.state.rawValue)" + (job.verdict.map { " (verdict \($0))" } ?? ""),
            "created   \(job.createdAt.formatted(.iso8601))",
        ]
        if let code = job.errorCode { lines.append("error     \(code): \(job.errorMessage ?? "")") }
        if let retried = job.retryOf { lines.append("retry of  \(retried)") }
        if let video = detail.video {
            lines.append("video     \(video.id) sha256 \(video.contentSHA256)")
            lines.append("bronze    \(video.bronzePath)")
        }
        if let log = job.logPath { lines.append("log       \(log)") }
        print(lines.joined(separator: "\n"))
        if !detail.taskRuns.isEmpty { print("\n" + TaskRunTable.render(detail.taskRuns)) }
        if !detail.findings.isEmpty { print("\nfindings:\n" + FindingLines.render(detail.findings)) }
    }
}

/// Task runs as a table, in the order given.
enum TaskRunTable {
    static func render(_ runs: [TaskRunRecord]) -> String {
        TextTable.render(header: ["TASK", "ATTEMPT", "STATE", "MS", "ERROR"], rows: runs.map { run in
            [run.task, "\(run.attempt)", run.state.rawValue, run.durationMilliseconds.map { String(format: "%.1f", $0) } ?? "-", run.error ?? ""]
        })
    }
}

/// Findings one per line, with their timecodes.
enum FindingLines {
    static func render(_ findings: [PolicyFinding]) -> String {
        findings.map { finding in
            let span = switch (finding.startSeconds, finding.endSeconds) {
            case let (start?, end?): String(format: " [%.3f–%.3f s]", start, end)
            case let (start?, nil): String(format: " [from %.3f s]", start)
            default: ""
            }
            return "  \(finding.severity.rawValue)  \(finding.rule)\(span)  \(finding.message)"
        }.joined(separator: "\n")
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
