import Foundation
import Media
import Scheduler

/// The silver reports written beside the derived media.
public struct SilverFiles: Sendable {
    public var directory: String
    public var qcReport: String
    public var metadata: String
}

/// What gold records from silver.
public struct SilverOutputs: Sendable {
    public var result: MediaPassResult
    public var files: SilverFiles
}

/// Silver: one decode pass feeding quality checks, enrichment, thumbnails and every
/// rendition, then the policy verdict and the reports. Its tasks, artifacts and rules.
struct SilverStage: Sendable {
    static let media = Artifact<MediaPassResult>("silver")
    static let policy = Artifact<PolicyVerdict>("policy")
    static let files = Artifact<SilverFiles>("silver_files")

    let configuration: IngestConfiguration

    func addTasks(to dag: inout DAGBuilder) {
        // The probe is an input so that only media the probe accepted gets decoded.
        dag.task("silver.media", inputs: JobTicket.artifact, BronzeStage.file, BronzeStage.probe, BronzeStage.newContent,
                 output: Self.media, options: .cpuHeavy(configuration, retry: false)) { ticket, file, _, content in
            try await runMediaPass(on: file, for: content, stagingFolder: configuration.layout.stagingFolder(jobID: ticket.id))
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
    }

    /// One decode of the source feeds every consumer. The outputs go to the job's staging
    /// folder (see ``SilverStaging``); the result names them where gold will publish them.
    private func runMediaPass(on file: ValidatedFile, for content: NewContent, stagingFolder: String) async throws -> MediaPassResult {
        let plan = MediaPassPlan(qc: configuration.qc, enrichment: EnrichmentOptions(), outputDirectory: stagingFolder,
                                 thumbnails: configuration.thumbnails, ladder: configuration.ladder)
        do {
            return try await MediaPass.run(path: file.resolvedPath, plan: plan)
                .relocated(from: stagingFolder, to: configuration.layout.silverFolder(videoID: content.videoID))
        } catch var error {
            error.path = file.requestedPath
            throw IngestError(error)
        }
    }
}
