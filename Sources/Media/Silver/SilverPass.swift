import CFFmpeg
import Foundation
import Synchronization

/// What one silver pass should do besides the quality checks.
public struct SilverPlan: Sendable {
    public var qc: QCOptions
    /// Scene cuts, GOP and bit-rate statistics, fingerprint; nil skips them.
    public var enrichment: EnrichmentOptions?
    /// Folder for thumbnails and renditions (`<lake>/silver/<video>`).
    public var outputDirectory: String
    /// Poster, sprite and storyboard; nil skips them.
    public var thumbnails: ThumbnailOptions?
    /// The encoding ladder; nil or no rungs skips renditions.
    public var ladder: RenditionLadder?

    public init(qc: QCOptions = QCOptions(), enrichment: EnrichmentOptions? = EnrichmentOptions(), outputDirectory: String,
                thumbnails: ThumbnailOptions? = ThumbnailOptions(), ladder: RenditionLadder? = .default) {
        self.qc = qc
        self.enrichment = enrichment
        self.outputDirectory = outputDirectory
        self.thumbnails = thumbnails
        self.ladder = ladder
    }
}

/// What one silver pass over a source produced.
public struct SilverResult: Codable, Sendable, Equatable {
    /// Frame counts, decode errors and truncation, straight from the decode.
    public var decode: DecodeReport
    /// The quality checks' segments, measurements and findings.
    public var qc: QCReport
    public var enrichment: EnrichmentReport?
    public var thumbnails: ThumbnailSet?
    public var renditions: [RenditionResult] = []
}

/// The silver layer's single decode pass: the file is demuxed and decoded once, and every
/// frame goes to every consumer (today the QC analyzers).
public enum SilverPass {
    /// Runs the pass on the calling thread, which it blocks for the whole decode.
    public static func run(path: String, qc options: QCOptions) throws(MediaError) -> SilverResult {
        try run(path: path, qc: options, cancellation: nil)
    }

    /// Runs the pass on a thread of its own, so the decode never occupies Swift's
    /// cooperative pool. Cancelling the task stops the pass at the next packet with
    /// `MediaError.Code.cancelled`.
    public static func run(path: String, qc options: QCOptions) async throws(MediaError) -> SilverResult {
        let cancellation = CancellationFlag()
        let result = await withTaskCancellationHandler {
            await DedicatedThread.run(name: "vidpipe.silver") { () -> Result<SilverResult, MediaError> in
                Result { () throws(MediaError) -> SilverResult in try run(path: path, qc: options, cancellation: cancellation) }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    /// The whole silver layer in one decode: QC, enrichment, thumbnails and every rendition
    /// rung, on a thread of its own. Cancelling the task stops the pass at the next packet.
    public static func run(path: String, plan: SilverPlan) async throws(MediaError) -> SilverResult {
        let cancellation = CancellationFlag()
        let result = await withTaskCancellationHandler {
            await DedicatedThread.run(name: "vidpipe.silver") { () -> Result<SilverResult, MediaError> in
                Result { () throws(MediaError) -> SilverResult in try run(path: path, plan: plan, cancellation: cancellation) }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try result.get()
    }

    private static func run(path: String, qc options: QCOptions, cancellation: CancellationFlag?) throws(MediaError) -> SilverResult {
        let plan = SilverPlan(qc: options, enrichment: nil, outputDirectory: "", thumbnails: nil, ladder: nil)
        return try run(path: path, plan: plan, cancellation: cancellation)
    }

    static func run(path: String, plan: SilverPlan, cancellation: CancellationFlag?) throws(MediaError) -> SilverResult {
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
        let decode = try run(path: path, consumers: consumers)
        return SilverResult(decode: decode, qc: checks.report(decode: decode), enrichment: enrichment?.report(),
                            thumbnails: thumbnails?.result, renditions: renditions?.results ?? [])
    }

    /// Decodes `path` once, handing every packet and frame to `consumers` in order. Further
    /// consumers (enrichment, thumbnails, renditions) join the pass here.
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
        if flag.isCancelled { throw MediaError(code: .cancelled, path: path, message: "\(path): the silver pass was cancelled.") }
    }
}

/// Runs blocking work on a new thread and resumes the awaiting task with its result.
/// A thread per pass is cheap next to a decode, and unlike a global Dispatch queue it can
/// never be starved by (or starve) other blocking work.
enum DedicatedThread {
    static func run<Value: Sendable>(name: String, _ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = name
            // Decoders and filters run on this thread's stack; give it a main thread's size.
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
