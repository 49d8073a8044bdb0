import ArgumentParser
import Catalog
import Foundation
import Ingest
import Media

/// `vidpipe show ID|PATH|SHA256`: everything the catalog and the lake know about one
/// video or job.
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show everything known about one video or job: metadata and streams, QC verdict and findings, renditions, scene cuts, notifications, task timings, log and report.",
        discussion: "A video given by id, SHA-256 or path shows its newest job."
    )

    @Argument(help: "A job id, request id, video id, content SHA-256, or a file path.")
    var target: String

    @Flag(help: "Print JSON.")
    var json = false

    /// The `show --json` document (docs/schemas/show.schema.json).
    struct Document: Encodable {
        var job: JobRecord
        /// Every job of the same video (or, without a video, of the same path), newest first.
        var jobs: [JobRecord]
        /// Jobs that ran this one again.
        var retries: [JobRecord]
        var video: Video?
        var qc: QC
        var renditions: [RenditionRecord]
        var sceneCuts: [SceneCut]
        var notifications: [Notification]
        /// In DAG order.
        var taskRuns: [TaskRunRecord]
        var logPath: String?
        var silverFolder: String?
        /// `report.html` in the silver folder, when it has been written.
        var reportPath: String?
        /// The DASH manifest beside the HLS master playlist, when one was written (`VIDPIPE_DASH=1`).
        var dashManifestPath: String?
    }

    /// A video row with its probe and sidecar as JSON rather than text.
    struct Video: Encodable {
        var id: String
        var contentSha256: String
        var originalName: String
        var sourcePath: String
        var bronzePath: String
        var sizeBytes: Int64
        var container: String?
        var durationSeconds: Double?
        var bitRate: Int64?
        var width: Int?
        var height: Int?
        var videoCodec: String?
        var audioCodec: String?
        var firstSeenAt: Date
        /// The probe: `container` and every stream.
        var metadata: JSONValue
        var sidecar: JSONValue?
        /// The HLS master playlist, when a stream was written.
        var hlsMasterPath: String?

        init(_ record: VideoRecord) {
            hlsMasterPath = record.hlsMasterPath
            (id, contentSha256, originalName, sourcePath, bronzePath) =
                (record.id, record.contentSHA256, record.originalName, record.sourcePath, record.bronzePath)
            (sizeBytes, container, durationSeconds, bitRate) = (record.sizeBytes, record.container, record.durationSeconds, record.bitRate)
            (width, height, videoCodec, audioCodec) = (record.width, record.height, record.videoCodec, record.audioCodec)
            firstSeenAt = record.firstSeenAt
            metadata = (try? JSONDecoder().decode(JSONValue.self, from: Data(record.probeJSON.utf8))) ?? .string(record.probeJSON)
            sidecar = record.sidecarJSON.map { (try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))) ?? .string($0) }
        }
    }

    struct QC: Encodable {
        var verdict: String?
        var findings: [PolicyFinding]
    }

    struct SceneCut: Encodable {
        var seconds: Double
        var score: Double
    }

    /// A notification without its rendered message (the mail itself is in the outbox or sent).
    struct Notification: Encodable {
        var id: String
        var kind: String
        var recipient: String
        var subject: String
        var state: String
        var path: String?
        var createdAt: Date
        var sentAt: Date?
        var attempts: Int
        var lastError: String?

        init(_ record: NotificationRecord) {
            (id, kind, recipient, subject, state) = (record.id, record.kind.rawValue, record.recipient, record.subject, record.state.rawValue)
            (path, createdAt, sentAt, attempts, lastError) = (record.path, record.createdAt, record.sentAt, record.attempts, record.lastError)
        }
    }

    func run() async throws {
        let inspection = try await CatalogInspection.open()
        defer { Task { await inspection.close() } }
        guard let job = try await resolve(inspection) else {
            throw inspection.notFound("job, request, video, SHA-256 or file path", target)
        }
        let document = try await document(for: job, inspection)
        if json { return try CatalogInspection.printJSON(document) }
        print(Self.text(document))
    }

    /// The job `target` names: itself, or the newest job of the video or path it names.
    private func resolve(_ inspection: CatalogInspection) async throws -> JobRecord? {
        let catalog = inspection.catalog
        if let job = try await inspection.job(target) { return job }
        let isSHA256 = target.count == 64 && target.allSatisfy(\.isHexDigit)
        let video = isSHA256 ? try await catalog.video(contentSHA256: target.lowercased()) : try await catalog.video(id: target)
        if let video { return try await catalog.jobs(videoID: video.id).first }
        return try await catalog.jobs(sourcePath: CatalogInspection.absolutePath(target)).first
    }

    private func document(for job: JobRecord, _ inspection: CatalogInspection) async throws -> Document {
        let catalog = inspection.catalog
        let videoID = job.videoID ?? job.duplicateOf
        let video = try await videoID.asyncMap { try await catalog.video(id: $0) } ?? nil
        let folder = video.map { inspection.layout.silverFolder(videoID: $0.id) }
        let report = await folder.asyncMap { await inspection.bootstrap.lakeEntryExists($0 + "/report.html") ? $0 + "/report.html" : nil } ?? nil
        // In object storage a folder is a key prefix: it is there when its report page is.
        let silver = inspection.layout.isObjectStore ? (report == nil ? nil : folder) : folder.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        // The manifest has no catalog column: it sits beside the master playlist, when written.
        let dash = await video?.hlsMasterPath.asyncMap { master in
            // String surgery, not NSString, which would fold the `//` of an s3:// location.
            let path = master.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
                + "/" + AdaptiveStreamResult.dashManifestName
            return await inspection.bootstrap.lakeEntryExists(path) ? path : nil
        } ?? nil
        let related = if let videoID { try await catalog.jobs(videoID: videoID) } else { try await catalog.jobs(sourcePath: job.sourcePath) }
        return Document(
            job: job,
            jobs: related,
            retries: try await catalog.retries(of: job.id),
            video: video.map(Video.init),
            qc: QC(verdict: job.verdict, findings: try await catalog.findings(jobID: job.id).map(PolicyFinding.init(recorded:))),
            renditions: try await video.asyncMap { try await catalog.renditions(videoID: $0.id) } ?? [],
            sceneCuts: try await video.asyncMap { try await catalog.sceneCuts(videoID: $0.id) }?.map { SceneCut(seconds: $0.seconds, score: $0.score) } ?? [],
            notifications: try await catalog.notifications(jobID: job.id).map(Notification.init),
            taskRuns: try inspection.inDAGOrder(try await catalog.taskRuns(jobID: job.id)),
            logPath: job.logPath, silverFolder: silver, reportPath: report, dashManifestPath: dash)
    }

    private static func text(_ document: Document) -> String {
        let job = document.job
        var lines = [
            "job        \(job.id)" + (job.requestID.map { " (request \($0))" } ?? ""),
            "file       \(job.sourcePath)",
            "state      \(job.state.rawValue)" + (job.verdict.map { ", verdict \($0)" } ?? "")
                + (job.errorCode.map { " — \($0): \(job.errorMessage ?? "")" } ?? ""),
            "created    \(job.createdAt.formatted(.iso8601))",
        ]
        if let retried = job.retryOf { lines.append("retry of   \(retried)") }
        for retry in document.retries { lines.append("retried as \(retry.id) (\(retry.state.rawValue))") }
        if let video = document.video {
            lines.append("video      \(video.id)  sha256 \(video.contentSha256)")
            var facts = [video.container ?? "?", "\(video.sizeBytes) bytes"]
            if let duration = video.durationSeconds { facts.append(String(format: "%.3f s", duration)) }
            if let width = video.width, let height = video.height { facts.append("\(width)x\(height)") }
            facts.append([video.videoCodec, video.audioCodec].compactMap(\.self).joined(separator: "+"))
            lines.append("media      " + facts.joined(separator: ", "))
            if case .object(let probe) = video.metadata, case .array(let streams)? = probe["streams"] {
                for case .object(let stream) in streams {
                    let fields = ["index", "kind", "codec_name", "width", "height", "sample_rate", "channel_layout"].compactMap { key in
                        stream[key].map { value in
                            if case .string(let text) = value { "\(key)=\(text)" } else { "\(key)=\(value.jsonText)" }
                        }
                    }
                    lines.append("  stream   " + fields.joined(separator: " "))
                }
            }
        }
        if let folder = document.silverFolder { lines.append("silver     \(folder)") }
        if let report = document.reportPath { lines.append("report     \(report)") }
        if let master = document.video?.hlsMasterPath { lines.append("hls        \(master)") }
        if let manifest = document.dashManifestPath { lines.append("dash       \(manifest)") }
        if let log = document.logPath { lines.append("log        \(log)") }
        if !document.qc.findings.isEmpty { lines.append("\nfindings:\n" + FindingLines.render(document.qc.findings)) }
        if !document.renditions.isEmpty {
            lines.append("\n" + TextTable.render(header: ["RENDITION", "SIZE", "BYTES", "KBIT/S", "PSNR", "SSIM", "PATH"], rows: document.renditions.map { r in
                [r.name, "\(r.width)x\(r.height)", "\(r.sizeBytes)", r.bitRate.map { "\($0 / 1000)" } ?? "-",
                 r.psnr.map { String(format: "%.2f", $0) } ?? "-", r.ssim.map { String(format: "%.4f", $0) } ?? "-", r.path]
            }))
        }
        if !document.sceneCuts.isEmpty {
            lines.append("\nscene cuts (s): " + document.sceneCuts.map { String(format: "%.3f", $0.seconds) }.joined(separator: ", "))
        }
        if !document.notifications.isEmpty {
            lines.append("\nnotifications:\n" + document.notifications.map { "  \($0.kind)  \($0.state)  \($0.recipient)  \($0.path ?? "")" }.joined(separator: "\n"))
        }
        if !document.taskRuns.isEmpty { lines.append("\n" + TaskRunTable.render(document.taskRuns)) }
        if document.jobs.count > 1 { lines.append("\njobs of this video:\n" + JobTable.render(document.jobs)) }
        return lines.joined(separator: "\n")
    }
}
