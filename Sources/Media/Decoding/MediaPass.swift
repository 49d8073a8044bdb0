import CFFmpeg
import Execution
import Foundation
import Synchronization

/// What one ``MediaPass`` should do besides the quality checks.
public struct MediaPassPlan: Sendable {
    public var qc: QCOptions
    /// Scene cuts, GOP and bit-rate statistics, fingerprint; nil skips them.
    public var enrichment: EnrichmentOptions?
    /// Folder for thumbnails and renditions.
    public var outputDirectory: String
    /// Poster, sprite and storyboard; nil skips them.
    public var thumbnails: ThumbnailOptions?
    /// The encoding ladder; nil or no rungs skips renditions.
    public var ladder: RenditionLadder?
    /// Called from the decode thread a few times a second and at the end; nil: no reports.
    public var progress: (@Sendable (DecodeProgress) -> Void)?

    public init(qc: QCOptions = QCOptions(), enrichment: EnrichmentOptions? = EnrichmentOptions(), outputDirectory: String,
                thumbnails: ThumbnailOptions? = ThumbnailOptions(), ladder: RenditionLadder? = .default) {
        self.qc = qc
        self.enrichment = enrichment
        self.outputDirectory = outputDirectory
        self.thumbnails = thumbnails
        self.ladder = ladder
    }
}

/// What one ``MediaPass`` over a source produced.
public struct MediaPassResult: Codable, Sendable, Equatable {
    /// Frame counts, decode errors and truncation, straight from the decode.
    public var decode: DecodeReport
    /// The quality checks' segments, measurements and findings.
    public var qc: QCReport
    public var enrichment: EnrichmentReport?
    public var thumbnails: ThumbnailSet?
    public var renditions: [RenditionResult] = []
    /// The HLS stream over the renditions' packets; nil when none was written.
    public var stream: AdaptiveStreamResult?
}

/// One decode of a file that feeds every analysis and output at once: the file is demuxed
/// and decoded once, and every frame goes to every consumer (QC analyzers, enrichment,
/// thumbnails, rendition encoders).
public enum MediaPass {
    /// Runs the quality checks alone on the calling thread, which it blocks for the whole decode.
    public static func run(path: String, qc options: QCOptions) throws(MediaError) -> MediaPassResult {
        try run(path: path, plan: qualityChecksOnly(options), cancellation: nil)
    }

    /// Runs the quality checks alone on a ``DedicatedThread``. Cancelling the task stops
    /// the pass at the next packet with `MediaError.Code.cancelled`.
    public static func run(path: String, qc options: QCOptions) async throws(MediaError) -> MediaPassResult {
        try await run(path: path, plan: qualityChecksOnly(options))
    }

    /// Everything `plan` asks for in one decode: QC, enrichment, thumbnails and every
    /// rendition rung, on a ``DedicatedThread``. Cancelling the task stops the pass at the
    /// next packet with `MediaError.Code.cancelled`.
    public static func run(path: String, plan: MediaPassPlan) async throws(MediaError) -> MediaPassResult {
        let cancellation = CancellationFlag()
        // withTaskCancellationHandler rethrows untyped errors: carry the typed one in a Result.
        let result: Result<MediaPassResult, MediaError> = await withTaskCancellationHandler {
            do throws(MediaError) {
                return .success(try await DedicatedThread.run(name: "media-pass") { () throws(MediaError) -> MediaPassResult in
                    // The pass's frames and encoders are freed by now: give their pages back, so the
                    // next pass admitted against the memory budget finds them free.
                    defer { malloc_trim(0) }
                    return try run(path: path, plan: plan, cancellation: cancellation)
                })
            } catch {
                return .failure(error)
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    /// Everything `plan` asks for in one decode, on the calling thread, which it blocks for
    /// the whole pass: for callers already on a thread of their own, such as the fuzz targets.
    public static func run(path: String, plan: MediaPassPlan) throws(MediaError) -> MediaPassResult {
        try run(path: path, plan: plan, cancellation: nil)
    }

    private static func qualityChecksOnly(_ options: QCOptions) -> MediaPassPlan {
        MediaPassPlan(qc: options, enrichment: nil, outputDirectory: "", thumbnails: nil, ladder: nil)
    }

    static func run(path: String, plan: MediaPassPlan, cancellation: CancellationFlag?) throws(MediaError) -> MediaPassResult {
        let checks = QualityChecks(options: plan.qc, path: path)
        let enrichment = plan.enrichment.map(EnrichmentConsumers.init(options:))
        let thumbnails = plan.thumbnails.map { ThumbnailRenderer(directory: plan.outputDirectory, options: $0) }
        let renditions = plan.ladder.flatMap { $0.rungs.isEmpty ? nil : RenditionLadderEncoder(ladder: $0, directory: plan.outputDirectory) }
        if thumbnails != nil || renditions != nil {
            do {
                try FileManager.default.createDirectory(atPath: plan.outputDirectory, withIntermediateDirectories: true)
            } catch {
                throw MediaError(code: .analysisFailed, path: path, message: "\(path): cannot create \(plan.outputDirectory): \(error)")
            }
        }
        var consumers = checks.consumers
        if let cancellation { consumers.insert(CancellationCheck(flag: cancellation, path: path), at: 0) }
        consumers += enrichment?.all ?? []
        if let thumbnails { consumers.append(thumbnails) }
        if let renditions { consumers.append(renditions) }
        if let progress = plan.progress { consumers.append(ProgressReporter(report: progress)) }
        let decode = try run(path: path, consumers: consumers)
        return MediaPassResult(decode: decode, qc: checks.report(decode: decode), enrichment: enrichment?.report(),
                               thumbnails: thumbnails?.result, renditions: renditions?.results ?? [],
                               stream: renditions?.stream)
    }

    /// Decodes `path` once, handing every packet and frame to `consumers` in order.
    static func run(path: String, consumers: [any FrameConsumer]) throws(MediaError) -> DecodeReport {
        let pass = try DecodePass(path: path)
        do {
            return try pass.run(consumers: consumers)
        } catch let error as MediaError {
            throw error
        } catch {
            throw MediaError(code: .analysisFailed, path: path, message: "\(path): a frame consumer failed: \(error)")
        }
    }
}

/// Set from any thread when the awaiting task is cancelled; read by the decode thread.
final class CancellationFlag: Sendable {
    private let cancelled = Atomic(false)
    func cancel() { cancelled.store(true, ordering: .relaxed) }
    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
}

/// Stops the pass at the next packet once its flag is set, by throwing `.cancelled`.
private final class CancellationCheck: FrameConsumer {
    private let flag: CancellationFlag
    private let path: String

    init(flag: CancellationFlag, path: String) {
        self.flag = flag
        self.path = path
    }

    func consumePacket(_ packet: UnsafeMutablePointer<AVPacket>, isVideo: Bool, seconds: Double?) throws {
        if flag.isCancelled { throw MediaError(code: .cancelled, path: path, message: "\(path): the media pass was cancelled.") }
    }
}
