import CFFmpeg
import Execution
import Foundation

/// Encodes one rung of the ladder as a consumer of the shared decode pass.
///
/// The decode thread only takes a new reference to each frame (no pixel copy) and hands it
/// to this rung's own encoder thread (a ``DedicatedThread``) through a bounded queue, so
/// all rungs encode in parallel and the decoder waits at most on `queueDepth` frames per
/// rung. ``finish()`` joins the thread, then probes the file; ``result`` is set from then on.
final class RenditionEncoder: FrameConsumer {
    let plan: RenditionPlan
    let path: String
    /// Folder of the adaptive stream's tracks; nil: the MP4 only.
    let streamDirectory: String?
    private let queue: FrameQueue
    private var worker: RenditionWorker?
    private var thread: DedicatedThread.Handle?
    private var sourceDuration: Double?
    private var sourceHasAudio = false
    /// What was made, once ``finish()`` has run.
    private(set) var result: RenditionResult?
    /// Video packets encoded, once ``finish()`` has run.
    private(set) var videoPackets = 0

    /// Frames waiting per rung: enough to ride out x264's uneven per-frame cost.
    static let defaultQueueDepth = 8

    init(plan: RenditionPlan, path: String, streamDirectory: String? = nil, queueDepth: Int = RenditionEncoder.defaultQueueDepth) {
        self.plan = plan
        self.path = path
        self.streamDirectory = streamDirectory
        queue = FrameQueue(capacity: queueDepth)
    }

    func start(_ setup: DecodeSetup) throws {
        sourceDuration = setup.durationSeconds
        sourceHasAudio = setup.audio != nil
        let source = RenditionWorker.Source(
            videoTimeBase: setup.video?.timeBase, videoFrameRate: setup.video?.frameRate ?? AVRational(num: 0, den: 1),
            hasAudio: setup.audio != nil, durationSeconds: setup.durationSeconds)
        let worker = RenditionWorker(plan: plan, path: path, streamDirectory: streamDirectory, source: source, queue: queue)
        self.worker = worker
        // The thread holds only `worker`, so this encoder's deinit can still stop it.
        thread = DedicatedThread.start(name: "rendition-\(plan.name)") { worker.run() }
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        guard let reference = FrameReference(cloning: frame) else { throw RenditionFailure(message: "out of memory (frame reference)") }
        queue.push(.video(reference, seconds: seconds))
    }

    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        guard let reference = FrameReference(cloning: frame) else { throw RenditionFailure(message: "out of memory (frame reference)") }
        queue.push(.audio(reference, seconds: seconds))
    }

    func finish() throws {
        guard let worker, let thread else { return }
        queue.push(.end)
        thread.join()
        self.worker = nil
        self.thread = nil
        videoPackets = worker.videoPackets
        result = RenditionVerifier.verify(
            plan: plan, path: path, sourceDurationSeconds: sourceDuration, expectsAudio: sourceHasAudio,
            psnr: worker.psnr, ssim: worker.ssim, problems: worker.problems)
    }

    deinit {
        // A pass that stopped early never calls finish(): release the thread.
        if let thread {
            queue.abandon()
            thread.join()
        }
    }
}

/// Runs the whole ladder as one consumer: plans the rungs when the pass starts (the plan
/// needs the source's size, SAR, rotation and rate) and fans every frame out to one
/// ``RenditionEncoder`` per rung. With a segment length set, the rungs also write the
/// adaptive stream's tracks, and ``finish()`` writes its master playlist and checks it.
final class RenditionLadderEncoder: FrameConsumer {
    let ladder: RenditionLadder
    let directory: String
    private(set) var encoders: [RenditionEncoder] = []
    /// The adaptive stream, after the pass finished; nil when none was asked for or the source has no video.
    private(set) var stream: AdaptiveStreamResult?

    /// Where the stream's playlists and segments go, below the outputs' folder.
    static let streamFolderName = "hls"

    /// Outputs go to `directory/<rung name>.mp4` and `directory/hls/`.
    init(ladder: RenditionLadder, directory: String) {
        self.ladder = ladder
        self.directory = directory
    }

    /// One result per planned rung, after the pass finished.
    var results: [RenditionResult] { encoders.compactMap(\.result) }

    private var streamDirectory: String { (directory as NSString).appendingPathComponent(Self.streamFolderName) }

    func start(_ setup: DecodeSetup) throws {
        guard let video = setup.video else { return }
        let source = RenditionSource(
            width: video.width, height: video.height,
            sampleAspectRatio: Rational(video.sampleAspectRatio), rotationDegrees: video.rotationDegrees,
            frameRate: video.frameRate.num > 0 && video.frameRate.den > 0 ? av_q2d(video.frameRate) : nil)
        let plans = ladder.plan(for: source)
        let writesStream = ladder.segmentSeconds != nil && !plans.isEmpty
        if writesStream {
            do {
                try FileManager.default.createDirectory(atPath: streamDirectory, withIntermediateDirectories: true)
            } catch {
                throw RenditionFailure(message: "cannot create the stream folder \(streamDirectory): \(error)")
            }
        }
        encoders = plans.map { plan in
            RenditionEncoder(plan: plan, path: (directory as NSString).appendingPathComponent("\(plan.name).mp4"),
                             streamDirectory: writesStream ? streamDirectory : nil)
        }
        for encoder in encoders { try encoder.start(setup) }
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        for encoder in encoders { try encoder.consumeVideo(frame, seconds: seconds) }
    }

    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        for encoder in encoders { try encoder.consumeAudio(frame, seconds: seconds) }
    }

    func finish() throws {
        for encoder in encoders { try encoder.finish() }
        guard let segmentSeconds = ladder.segmentSeconds, encoders.contains(where: { $0.streamDirectory != nil }) else { return }
        let rungs = encoders.compactMap { encoder -> AdaptiveStreamWriter.Rung? in
            guard encoder.result?.problems.isEmpty ?? false else { return nil }
            return AdaptiveStreamWriter.Rung(plan: encoder.plan, videoPackets: encoder.videoPackets)
        }
        // Every rung failed: their own failures say why (a policy refusal, a bad encode), and
        // there is no stream to publish or to check.
        guard !rungs.isEmpty else { return }
        stream = AdaptiveStreamWriter.write(directory: streamDirectory, segmentSeconds: segmentSeconds,
                                             writesDASHManifest: ladder.writesDASHManifest, rungs: rungs)
    }
}
