import Catalog
import Execution
import Foundation
import Media
import Notifications
import Scheduler

/// The data that flows between a job's tasks. Each is produced by exactly one task.
public enum JobArtifacts {
    public static let ticket = Artifact<JobTicket>("ticket")
    public static let file = Artifact<ValidatedFile>("file")
    public static let sidecar = Artifact<SidecarLookup>("sidecar")
    public static let hash = Artifact<ContentHash>("sha256")
    public static let probe = Artifact<ProbeReport>("probe")
    public static let newContent = Artifact<NewContent>("new_content")
    public static let staged = Artifact<StagedObject>("staged")
    public static let silver = Artifact<MediaPassResult>("silver")
    public static let silverFiles = Artifact<SilverFiles>("silver_files")
    public static let policy = Artifact<PolicyVerdict>("policy")
    public static let result = Artifact<JobResult>("job_result")
    public static let committed = Artifact<CommittedJob>("committed")
    public static let delivered = Artifact<DeliveryReport>("delivered")
}

/// What the sidecar lookup found; `sidecar` is nil when the video came without metadata.
public struct SidecarLookup: Sendable {
    public var sidecar: Sidecar?
}

/// Proof that this job holds the only claim on content not yet in the catalog, and the
/// id its video will have (silver writes under `silver/<video id>/` before gold records it).
public struct NewContent: Sendable {
    public var hash: ContentHash
    public var videoID: String
}

/// The silver reports written beside the derived media.
public struct SilverFiles: Sendable {
    public var directory: String
    public var qcReport: String
    public var metadata: String
}

/// The DAGs of a job: three layers and their union.
///
/// Bronze validates, hashes, probes, deduplicates and stages; silver checks the probe
/// against policy; gold summarises, commits the catalog transaction and delivers mail.
/// A job whose bronze or silver fails still goes through `goldForFailure`, so that every
/// request, good or bad, is recorded and its sender told.
public struct JobDAGs: Sendable {
    public let bronze: DAG
    public let silver: DAG
    public let gold: DAG
    /// Bronze, silver and gold as one DAG: what a job runs.
    public let whole: DAG
    /// Gold's commit and delivery alone, fed a `JobResult` describing a failure.
    public let goldForFailure: DAG

    public init(context: JobContext) throws {
        let bronzeNodes = Self.bronzeNodes(context)
        let silverNodes = Self.silverNodes(context)
        let goldNodes = Self.goldNodes(context)
        let summary = Self.summaryNode(context)

        var bronze = DAGBuilder(name: "bronze")
        bronze.input(JobArtifacts.ticket)
        bronzeNodes(&bronze)
        self.bronze = try bronze.build()

        var silver = DAGBuilder(name: "silver")
        silver.input(JobArtifacts.file)
        silver.input(JobArtifacts.probe)
        silver.input(JobArtifacts.newContent)
        silverNodes(&silver)
        self.silver = try silver.build()

        var gold = DAGBuilder(name: "gold")
        gold.input(JobArtifacts.ticket)
        gold.input(JobArtifacts.file)
        gold.input(JobArtifacts.sidecar)
        gold.input(JobArtifacts.hash)
        gold.input(JobArtifacts.probe)
        gold.input(JobArtifacts.newContent)
        gold.input(JobArtifacts.staged)
        gold.input(JobArtifacts.silver)
        gold.input(JobArtifacts.silverFiles)
        gold.input(JobArtifacts.policy)
        summary(&gold)
        goldNodes(&gold)
        self.gold = try gold.build()

        // Merged rather than rebuilt, so the Graphviz output keeps one cluster per layer.
        self.whole = try DAG(name: "job", merging: [self.bronze, self.silver, self.gold])

        var failure = DAGBuilder(name: "gold-for-failure")
        failure.input(JobArtifacts.ticket)
        failure.input(JobArtifacts.result)
        goldNodes(&failure)
        self.goldForFailure = try failure.build()
    }

    private static func cpuHeavy(_ context: JobContext, retry: Bool) -> TaskOptions {
        var options = TaskOptions()
        options.resource = .cpuHeavy
        options.timeout = .seconds(context.configuration.taskTimeoutSeconds)
        if retry { options.retry = .exponential(maxAttempts: context.configuration.taskAttempts, initialBackoff: .milliseconds(200)) }
        return options
    }

    private static func io(_ context: JobContext) -> TaskOptions {
        var options = TaskOptions()
        options.timeout = .seconds(context.configuration.taskTimeoutSeconds)
        options.retry = .exponential(maxAttempts: context.configuration.taskAttempts, initialBackoff: .milliseconds(200))
        return options
    }

    private static func bronzeNodes(_ context: JobContext) -> (inout DAGBuilder) -> Void {
        { dag in
            dag.task("bronze.validate", inputs: JobArtifacts.ticket, output: JobArtifacts.file, options: io(context)) { ticket in
                try context.validator.validate(path: ticket.request.path, confined: ticket.origin.isConfined)
            }
            dag.task("bronze.sidecar", inputs: JobArtifacts.ticket, JobArtifacts.file, output: JobArtifacts.sidecar, options: io(context)) { ticket, file in
                let sidecar = try Sidecar.load(for: file, requestMetadata: ticket.request.metadata,
                                               validator: context.validator, confined: ticket.origin.isConfined)
                if sidecar == nil, context.configuration.missingSidecar == .reject {
                    throw IngestError(.missingSidecar, path: ticket.request.path,
                                      "has no metadata sidecar (\(Sidecar.candidates(for: ticket.request.path).map { ($0 as NSString).lastPathComponent }.joined(separator: " or ")))",
                                      hint: "send the metadata JSON next to the video, or set VIDPIPE_MISSING_SIDECAR=notify")
                }
                return SidecarLookup(sidecar: sidecar)
            }
            dag.task("bronze.checksum", inputs: JobArtifacts.file, output: JobArtifacts.hash, options: cpuHeavy(context, retry: true)) { file in
                try await DedicatedThread.run(name: "checksum") { () throws(IngestError) in
                    try ContentHasher.sha256(path: file.resolvedPath, expectedSize: file.sizeBytes).hash
                }
            }
            dag.task("bronze.probe", inputs: JobArtifacts.file, output: JobArtifacts.probe, options: cpuHeavy(context, retry: false)) { file in
                do {
                    return try await DedicatedThread.run(name: "probe") { () throws(MediaError) in try MediaProbe.probe(path: file.resolvedPath) }
                } catch var error as MediaError {
                    error.path = file.requestedPath  // name the file as the sender knows it
                    throw IngestError(error)
                }
            }
            dag.task("bronze.dedup", inputs: JobArtifacts.ticket, JobArtifacts.hash, output: JobArtifacts.newContent, options: io(context)) { ticket, hash in
                await context.claims.claim(hash, for: ticket.id)
                ticket.claimedHash.withLock { $0 = hash }
                if let existing = try await context.catalog.video(contentSHA256: hash.hex) {
                    throw SkipDownstream(reason: "duplicate of video \(existing.id) (\(existing.originalName), first seen \(existing.firstSeenAt.formatted(.iso8601)))")
                }
                return NewContent(hash: hash, videoID: UUID().uuidString.lowercased())
            }
            dag.task("bronze.stage", inputs: JobArtifacts.file, JobArtifacts.newContent, JobArtifacts.probe, JobArtifacts.sidecar,
                     output: JobArtifacts.staged, options: io(context)) { file, content, probe, lookup in
                let probeJSON = try JSONEncoder.vidpipe.encode(probe)
                return try await DedicatedThread.run(name: "stage") { () throws(IngestError) in
                    try context.bronze.stage(file, hash: content.hash, probeJSON: probeJSON, sidecar: lookup.sidecar)
                }
            }
        }
    }

    private static func silverNodes(_ context: JobContext) -> (inout DAGBuilder) -> Void {
        { dag in
            // One decode feeds QC, enrichment, thumbnails and every rendition rung.
            // The probe is an input so that only media the probe accepted gets decoded.
            dag.task("silver.media", inputs: JobArtifacts.file, JobArtifacts.probe, JobArtifacts.newContent, output: JobArtifacts.silver,
                     options: cpuHeavy(context, retry: false)) { file, _, content in
                let configuration = context.configuration
                let plan = MediaPassPlan(qc: configuration.qc, enrichment: EnrichmentOptions(),
                                         outputDirectory: configuration.layout.silverFolder(videoID: content.videoID),
                                         thumbnails: configuration.thumbnails, ladder: configuration.ladder)
                do {
                    return try await MediaPass.run(path: file.resolvedPath, plan: plan)
                } catch var error as MediaError {
                    // No half-written renditions under a video id that will never be recorded.
                    try? FileManager.default.removeItem(atPath: plan.outputDirectory)
                    error.path = file.requestedPath
                    throw IngestError(error)
                }
            }
            dag.task("silver.policy", inputs: JobArtifacts.probe, JobArtifacts.silver, output: JobArtifacts.policy) { probe, silver in
                context.configuration.policy.evaluate(probe, silver: silver)
            }
            dag.task("silver.reports", inputs: JobArtifacts.newContent, JobArtifacts.probe, JobArtifacts.silver, JobArtifacts.policy,
                     output: JobArtifacts.silverFiles, options: io(context)) { content, probe, silver, policy in
                try SilverFiles.write(videoID: content.videoID, probe: probe, silver: silver, policy: policy,
                                      layout: context.configuration.layout)
            }
        }
    }

    private static func summaryNode(_ context: JobContext) -> (inout DAGBuilder) -> Void {
        { dag in
            dag.task("gold.summarize", inputs: JobArtifacts.ticket, JobArtifacts.file, JobArtifacts.sidecar, JobArtifacts.newContent,
                     JobArtifacts.probe, JobArtifacts.staged, JobArtifacts.silver, JobArtifacts.silverFiles, JobArtifacts.policy,
                     output: JobArtifacts.result) {
                ticket, file, lookup, content, probe, staged, silver, files, policy in
                try JobResult.accepted(
                    ticket: ticket, file: file, sidecar: lookup.sidecar, content: content, probe: probe, staged: staged,
                    silver: SilverOutputs(result: silver, files: files), policy: policy, context: context)
            }
        }
    }

    private static func goldNodes(_ context: JobContext) -> (inout DAGBuilder) -> Void {
        { dag in
            dag.task("gold.catalog", inputs: JobArtifacts.ticket, JobArtifacts.result, output: JobArtifacts.committed, options: io(context)) { ticket, result in
                try await result.commit(to: context.catalog, taskRuns: ticket.runs.all())
            }
            dag.task("gold.notify", inputs: JobArtifacts.result, JobArtifacts.committed, output: JobArtifacts.delivered, options: io(context)) { result, committed in
                guard let mailer = context.mailer else {
                    // Daemon mode: the notifier sends from the outbox rows just committed.
                    return DeliveryReport(deliveries: [], deferred: committed.notificationIDs)
                }
                return try await result.deliver(committed, via: mailer, catalog: context.catalog, retryAfter: .seconds(30))
            }
        }
    }
}
