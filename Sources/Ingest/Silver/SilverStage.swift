import Foundation
import Media
import Scheduler

/// The silver reports written beside the derived media.
public struct SilverFiles: Sendable {
    public var directory: String
    public var qcReport: String
    public var metadata: String
}

/// The per-video HTML page written beside the silver reports.
public struct SilverReportPage: Sendable {
    /// Where gold publishes it: `silver/<video id>/report.html`.
    public var path: String
}

/// What gold records from silver.
public struct SilverOutputs: Sendable {
    public var result: MediaPassResult
    public var files: SilverFiles
    /// The report page's published path.
    public var reportPage: String?
}

/// Silver: one decode pass feeding quality checks, enrichment, thumbnails and every
/// rendition, then the policy verdict and the reports. Its tasks, artifacts and rules.
struct SilverStage: Sendable {
    static let media = Artifact<MediaPassResult>("silver")
    static let policy = Artifact<PolicyVerdict>("policy")
    static let files = Artifact<SilverFiles>("silver_files")
    static let page = Artifact<SilverReportPage>("report_page")

    let configuration: IngestConfiguration
    /// Bytes shared by every job's decode; nil: decodes are not bounded by memory.
    let memoryBudget: WeightedSemaphore?
    /// Told how each decode advances; nil: only the frames metric hears of it.
    let progress: (@Sendable (JobProgress) -> Void)?

    func addTasks(to dag: inout DAGBuilder) {
        var mediaOptions = TaskOptions.cpuHeavy(configuration, retry: false)
        // The decode is what holds memory: it waits for its estimate to fit, not the whole job.
        if let memoryBudget {
            let plan = mediaPassPlan(outputDirectory: "")
            mediaOptions.memory = MemoryDemand(budget: memoryBudget, estimatedFrom: BronzeStage.probe) { plan.estimatedPeakBytes(for: $0) }
        }
        // The probe is an input so that only media the probe accepted gets decoded.
        // Silver decodes the staged bronze object, the bytes that were hashed: a source
        // deleted or replaced once bronze has staged it no longer matters.
        dag.task("silver.media", inputs: JobTicket.artifact, BronzeStage.file, BronzeStage.staged, BronzeStage.probe,
                 BronzeStage.newContent, output: Self.media, options: mediaOptions) { ticket, file, staged, _, content in
            try await runMediaPass(on: file, staged: staged, for: content, ticket: ticket,
                                   stagingFolder: configuration.layout.stagingFolder(jobID: ticket.id))
        }
        dag.task("silver.policy", inputs: BronzeStage.probe, Self.media, output: Self.policy, options: .inMemory) { probe, media in
            configuration.policy.evaluate(probe, silver: media)
        }
        dag.task("silver.reports", inputs: JobTicket.artifact, BronzeStage.newContent, BronzeStage.probe, Self.media, Self.policy,
                 output: Self.files, options: .infrastructure(configuration)) { ticket, content, probe, media, policy in
            try SilverFiles.write(videoID: content.videoID, probe: probe, silver: media, policy: policy,
                                  stagingFolder: configuration.layout.stagingFolder(jobID: ticket.id),
                                  publishedFolder: configuration.layout.silverFolder(videoID: content.videoID))
        }
        // Last in silver, so its Gantt holds every bronze and silver task; written into the
        // staging folder, it is published (or recovered after a crash) with the rest.
        dag.task("silver.report_page", inputs: JobTicket.artifact, BronzeStage.file, BronzeStage.newContent, BronzeStage.probe,
                 Self.media, Self.policy, Self.files, output: Self.page, options: .infrastructure(configuration)) {
            ticket, file, content, probe, media, policy, _ in
            let page = ReportPage(title: ticket.request.title ?? file.originalName, videoID: content.videoID, jobID: ticket.id,
                                  sourcePath: file.requestedPath, sha256: content.hash.hex, probe: probe, silver: media,
                                  policy: policy, jobStartedAt: ticket.createdAt, taskRuns: ticket.runs.all())
            return try page.write(stagingFolder: configuration.layout.stagingFolder(jobID: ticket.id),
                                  publishedFolder: configuration.layout.silverFolder(videoID: content.videoID))
        }
    }

    /// One decode of the staged source feeds every consumer. The outputs go to the job's
    /// staging folder (see ``SilverStaging``); the result names them where gold will publish them.
    private func runMediaPass(on file: ValidatedFile, staged: StagedObject, for content: NewContent, ticket: JobTicket,
                              stagingFolder: String) async throws -> MediaPassResult {
        var plan = mediaPassPlan(outputDirectory: stagingFolder)
        // One hook serves the frames metric and the progress display.
        plan.progress = { [progress] decode in
            JobMetrics.decoded(frames: decode.newFrames)
            progress?(JobProgress(jobID: ticket.id, path: ticket.request.path, stage: "silver.media", decode: decode))
        }
        let result: MediaPassResult
        do {
            result = try await MediaPass.run(path: staged.localSourcePath, plan: plan)
        } catch var error {
            // Name the file as the sender knows it, not by its place in bronze.
            error.message = error.message.replacingOccurrences(of: staged.localSourcePath, with: file.requestedPath)
            error.path = file.requestedPath
            throw IngestError(error)
        }
        // A stream with a hole would stall players mid-video: never publish one.
        if let stream = result.stream, !stream.verified {
            throw IngestError(.streamOutputInvalid, path: file.requestedPath,
                              "the HLS stream written for this video failed vidpipe's check: \(stream.problems.joined(separator: "; "))",
                              hint: "check the lake's disk (space, errors) and send the file again")
        }
        return result.relocated(from: stagingFolder, to: configuration.layout.silverFolder(videoID: content.videoID))
    }

    private func mediaPassPlan(outputDirectory: String) -> MediaPassPlan {
        MediaPassPlan(qc: configuration.qc, enrichment: EnrichmentOptions(), outputDirectory: outputDirectory,
                      thumbnails: configuration.thumbnails, ladder: configuration.ladder)
    }
}

