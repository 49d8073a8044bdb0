import Foundation
import Media

extension SilverFiles {
    /// `qc.json`: the verdict with every finding and its timecodes, the QC measurements and
    /// the decode's health. `metadata.json`: the probe, enrichment, thumbnails and renditions.
    /// Written into the job's staging folder; the paths returned are where gold publishes them.
    static func write(videoID: String, probe: ProbeReport, silver: MediaPassResult, policy: PolicyVerdict,
                      stagingFolder folder: String, publishedFolder: String) throws -> SilverFiles {
        let files = SilverFiles(directory: publishedFolder, qcReport: publishedFolder + "/qc.json",
                                metadata: publishedFolder + "/metadata.json")
        let qc = QCDocument(video: videoID, verdict: policy.verdict, findings: policy.findings, qc: silver.qc, decode: silver.decode)
        let metadata = MetadataDocument(video: videoID, probe: probe, enrichment: silver.enrichment,
                                        thumbnails: silver.thumbnails, renditions: silver.renditions)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try JSONEncoder.vidpipe.encode(qc).write(to: URL(fileURLWithPath: folder + "/qc.json"), options: .atomic)
            try JSONEncoder.vidpipe.encode(metadata).write(to: URL(fileURLWithPath: folder + "/metadata.json"), options: .atomic)
        } catch {
            throw IngestError(.ioError, path: folder, "cannot write the silver reports: \(error.localizedDescription)", isRetryable: true)
        }
        return files
    }
}

/// The layout of `qc.json`.
struct QCDocument: Encodable {
    var video: String
    var verdict: Verdict
    var findings: [PolicyFinding]
    var qc: QCReport
    var decode: DecodeReport
}

/// The layout of `metadata.json`.
struct MetadataDocument: Encodable {
    var video: String
    var probe: ProbeReport
    var enrichment: EnrichmentReport?
    var thumbnails: ThumbnailSet?
    var renditions: [RenditionResult]
}
