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
    /// Bytes shared by every job's decode; nil: decodes are not bounded by memory.
    let memoryBudget: WeightedSemaphore?

    func addTasks(to dag: inout DAGBuilder) {
        var mediaOptions = TaskOptions.cpuHeavy(configuration, retry: false)
        // The decode is what holds memory: it waits for its estimate to fit, not the whole job.
        if let memoryBudget {
            let plan = mediaPassPlan(outputDirectory: "")
            mediaOptions.memory = MemoryDemand(budget: memoryBudget, estimatedFrom: BronzeStage.probe) { plan.estimatedPeakBytes(for: $0) }
        }
        // The probe is an input so that only media the probe accepted gets decoded.
        dag.task("silver.media", inputs: BronzeStage.file, BronzeStage.probe, BronzeStage.newContent, output: Self.media,
                 options: mediaOptions) { file, _, content in
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
        let plan = mediaPassPlan(outputDirectory: configuration.layout.silverFolder(videoID: content.videoID))
        do {
            return try await MediaPass.run(path: file.resolvedPath, plan: plan)
        } catch var error {
            try? FileManager.default.removeItem(atPath: plan.outputDirectory)
            error.path = file.requestedPath
            throw IngestError(error)
        }
    }

    private func mediaPassPlan(outputDirectory: String) -> MediaPassPlan {
        MediaPassPlan(qc: configuration.qc, enrichment: EnrichmentOptions(), outputDirectory: outputDirectory,
                      thumbnails: configuration.thumbnails, ladder: configuration.ladder)
    }
}

