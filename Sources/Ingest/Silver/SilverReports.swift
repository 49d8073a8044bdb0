import Foundation
import Media

extension SilverFiles {
    /// `qc.json`: the verdict with every finding and its timecodes, the QC measurements and
    /// the decode's health. `metadata.json`: the probe, enrichment, thumbnails and renditions.
    static func write(videoID: String, probe: ProbeReport, silver: MediaPassResult, policy: PolicyVerdict,
                      layout: DatalakeLayout) throws -> SilverFiles {
        let folder = layout.silverFolder(videoID: videoID)
        let files = SilverFiles(directory: folder, qcReport: folder + "/qc.json", metadata: folder + "/metadata.json")
        let qc = QCDocument(video: videoID, verdict: policy.verdict, findings: policy.findings, qc: silver.qc, decode: silver.decode)
        let metadata = MetadataDocument(video: videoID, probe: probe, enrichment: silver.enrichment,
                                        thumbnails: silver.thumbnails, renditions: silver.renditions)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try JSONEncoder.vidpipe.encode(qc).write(to: URL(fileURLWithPath: files.qcReport), options: .atomic)
            try JSONEncoder.vidpipe.encode(metadata).write(to: URL(fileURLWithPath: files.metadata), options: .atomic)
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
