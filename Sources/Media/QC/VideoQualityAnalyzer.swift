import CFFmpeg
import Foundation

/// Black, frozen and interlaced pictures (ffmpeg's blackdetect, freezedetect and idet in one
/// in-process chain) and frame-duration regularity (like vfrdet), from the shared decode.
final class VideoQualityAnalyzer: FrameConsumer {
    private let options: QCOptions
    private let path: String
    private var chain: FilterChain?
    private var timeBase = AVRational(num: 1, den: 1)
    private var nominalFrameDuration: Double?
    private var cadence: FrameCadence
    private var blackStart: Double?
    private var freezeStart: Double?
    private var codedInterlacedFrames = 0

    private(set) var hasVideo = false
    private(set) var black: [QCSegment] = []
    private(set) var frozen: [QCSegment] = []
    private(set) var interlace: QCInterlace?
    /// End of the last frame seen: its time plus its duration.
    private(set) var lastFrameEnd: Double?
    /// Why the filters stopped before the end of the stream, if they did.
    private(set) var incompleteReason: String?

    init(options: QCOptions, path: String) {
        self.options = options
        self.path = path
        cadence = FrameCadence(tolerance: options.frameDurationTolerance)
    }

    var frameRate: QCFrameRate? { hasVideo ? cadence.summary : nil }

    private var filters: String {
        // blackdetect's own minimum only gates its log line; segments are gated in `close`.
        "blackdetect=d=\(options.blackMinDuration):pic_th=\(options.pictureBlackRatio):pix_th=\(options.pixelBlackThreshold),"
            + "freezedetect=n=\(options.freezeNoise):d=\(options.freezeMinDuration),"
            + "idet=intl_thres=\(options.interlaceThreshold):prog_thres=\(options.progressiveThreshold)"
    }

    func start(_ setup: DecodeSetup) throws {
        guard let video = setup.video else { return }
        hasVideo = true
        timeBase = video.timeBase
        if video.frameRate.num > 0 { nominalFrameDuration = Double(video.frameRate.den) / Double(video.frameRate.num) }
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        cadence.add(seconds)
        if frame.pointee.interlaced_frame != 0 { codedInterlacedFrames += 1 }
        let packetDuration = frame.pointee.pkt_duration
        let duration = packetDuration > 0 ? Double(packetDuration) * Double(timeBase.num) / Double(timeBase.den)
            : nominalFrameDuration ?? cadence.lastDuration ?? 0
        lastFrameEnd = max(lastFrameEnd ?? 0, seconds + duration)
        guard incompleteReason == nil, timeBase.num > 0 else { return }
        do throws(MediaError) {
            if let current = chain, !current.accepts(frame) {
                // A size or format change needs a new chain; runs are split at the change.
                try current.finish(handle: read)
                closeOpenSegments(at: seconds)
                chain = nil
            }
            let active: FilterChain
            if let chain { active = chain } else { active = try FilterChain(videoLike: frame, timeBase: timeBase, filters: filters, path: path) }
            chain = active
            let pts = Int64((seconds * Double(timeBase.den) / Double(timeBase.num)).rounded())
            try active.push(frame, pts: pts, handle: read)
        } catch {
            incompleteReason = "video analysis stopped at \(Self.format(seconds)) s: \(error.message)"
            chain = nil
        }
    }

    func finish() throws {
        if let chain {
            do throws(MediaError) { try chain.finish(handle: read) } catch { incompleteReason = "video analysis could not finish: \(error.message)" }
        }
        chain = nil
        interlace?.codedInterlacedFrames = codedInterlacedFrames
        // blackdetect and freezedetect leave a run open at the end of the stream; it ends
        // where the last picture stops being shown.
        if let lastFrameEnd { closeOpenSegments(at: lastFrameEnd) }
    }

    private func read(_ frame: UnsafeMutablePointer<AVFrame>) {
        // The chain passes frames through, so their timestamps keep the stream's time base.
        let seconds = Double(frame.pointee.pts) * Double(timeBase.num) / Double(timeBase.den)
        if FilterChain.metadata(frame, "lavfi.black_start") != nil, blackStart == nil { blackStart = seconds }
        if FilterChain.metadata(frame, "lavfi.black_end") != nil { closeBlack(at: seconds) }
        // freeze_start names the first frozen picture, which went by up to `d` seconds ago.
        if let value = FilterChain.metadata(frame, "lavfi.freezedetect.freeze_start"), freezeStart == nil {
            freezeStart = Double(value) ?? seconds
        }
        if FilterChain.metadata(frame, "lavfi.freezedetect.freeze_end") != nil { closeFreeze(at: seconds) }
        // idet's counts are running totals: the last frame's are the file's.
        if let tff = Self.count(frame, "lavfi.idet.multiple.tff") {
            interlace = QCInterlace(
                topFieldFirst: tff, bottomFieldFirst: Self.count(frame, "lavfi.idet.multiple.bff") ?? 0,
                progressive: Self.count(frame, "lavfi.idet.multiple.progressive") ?? 0,
                undetermined: Self.count(frame, "lavfi.idet.multiple.undetermined") ?? 0,
                codedInterlacedFrames: codedInterlacedFrames)
        }
    }

    private func closeOpenSegments(at seconds: Double) {
        closeBlack(at: seconds)
        closeFreeze(at: seconds)
    }

    private func closeBlack(at end: Double) {
        guard let start = blackStart else { return }
        blackStart = nil
        // blackdetect's rule: a run counts when end - start >= black_min_duration.
        if end - start >= options.blackMinDuration - 1e-9 { black.append(QCSegment(start: start, end: end)) }
    }

    private func closeFreeze(at end: Double) {
        guard let start = freezeStart else { return }
        freezeStart = nil
        frozen.append(QCSegment(start: start, end: end))
    }

    private static func count(_ frame: UnsafeMutablePointer<AVFrame>, _ key: String) -> Int? {
        // Running totals printed as decimals ("12.00"), fractional only with idet's half_life.
        FilterChain.metadata(frame, key).flatMap(Double.init).map { Int($0.rounded()) }
    }

    static func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }
}

/// Frame-duration regularity the way vfrdet counts it: a frame whose duration differs from
/// the previous frame's is "variable", one that repeats it is "constant".
struct FrameCadence {
    let tolerance: Double
    private var previousTime: Double?
    private(set) var lastDuration: Double?
    private var variable = 0
    private var constant = 0
    private var shortest = Double.infinity
    private var longest = 0.0

    init(tolerance: Double) { self.tolerance = tolerance }

    mutating func add(_ seconds: Double) {
        defer { previousTime = seconds }
        guard let previousTime else { return }
        let duration = seconds - previousTime
        if let lastDuration, abs(duration - lastDuration) > tolerance + 1e-9 { variable += 1 } else { constant += 1 }
        lastDuration = duration
        shortest = min(shortest, duration)
        longest = max(longest, duration)
    }

    var summary: QCFrameRate {
        QCFrameRate(variableFrames: variable, constantFrames: constant,
                    minimumFrameDuration: shortest.isFinite ? shortest : 0, maximumFrameDuration: longest)
    }
}
