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
        dag.task("silver.media", inputs: BronzeStage.file, BronzeStage.probe, BronzeStage.newContent, output: Self.media,
                 options: .cpuHeavy(configuration, retry: false)) { file, _, content in
            try await runMediaPass(on: file, for: content)
        }
        dag.task("silver.policy", inputs: BronzeStage.probe, Self.media, output: Self.policy, options: .inMemory) { probe, media in
            configuration.policy.evaluate(probe, silver: media)
        }
        dag.task("silver.reports", inputs: BronzeStage.newContent, BronzeStage.probe, Self.media, Self.policy,
                 output: Self.files, options: .io(configuration)) { content, probe, media, policy in
            try SilverFiles.write(videoID: content.videoID, probe: probe, silver: media, policy: policy,
                                  layout: configuration.layout)
        }
    }

    /// One decode of the source feeds every consumer; on failure the video's silver folder
    /// is removed, so no half-written renditions stay under an id that is never recorded.
    private func runMediaPass(on file: ValidatedFile, for content: NewContent) async throws -> MediaPassResult {
        let plan = MediaPassPlan(qc: configuration.qc, enrichment: EnrichmentOptions(),
                                 outputDirectory: configuration.layout.silverFolder(videoID: content.videoID),
                                 thumbnails: configuration.thumbnails, ladder: configuration.ladder)
        do {
            return try await MediaPass.run(path: file.resolvedPath, plan: plan)
        } catch var error {
            try? FileManager.default.removeItem(atPath: plan.outputDirectory)
            error.path = file.requestedPath
            throw IngestError(error)
        }
    }
}
