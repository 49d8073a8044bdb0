import CFFmpeg
import Foundation

/// Black, frozen and interlaced pictures (ffmpeg's blackdetect, freezedetect and idet run
/// in-process) and frame-duration regularity (like vfrdet), from the shared decode.
final class VideoQualityAnalyzer: FrameConsumer {
    private let options: QCOptions
    private let path: String
    /// blackdetect and freezedetect, fed every frame.
    private var pictureChain: FilterChain?
    /// idet, fed only the frames of the current sampling window.
    private var interlaceChain: FilterChain?
    private var interlaceWindow: Int?
    private var windowCounts = InterlaceCounts()
    private var sampledCounts = InterlaceCounts()
    private var codedInterlacedFrames = 0
    private var timeBase = AVRational(num: 1, den: 1)
    private var nominalFrameDuration: Double?
    private var cadence: FrameCadence
    private var blackStart: Double?
    private var freezeStart: Double?

    private(set) var hasVideo = false
    private(set) var black: [QCSegment] = []
    private(set) var frozen: [QCSegment] = []
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

    var interlace: QCInterlace? {
        guard hasVideo, cadence.frames > 0 else { return nil }
        let counts = sampledCounts + windowCounts
        return QCInterlace(topFieldFirst: counts.tff, bottomFieldFirst: counts.bff, progressive: counts.progressive,
                           undetermined: counts.undetermined, codedInterlacedFrames: codedInterlacedFrames)
    }

    private var pictureFilters: String {
        // blackdetect's own minimum only gates its log line; segments are gated in `closeBlack`.
        "blackdetect=d=\(options.blackMinDuration):pic_th=\(options.pictureBlackRatio):pix_th=\(options.pixelBlackThreshold),"
            + "freezedetect=n=\(options.freezeNoise):d=\(options.freezeMinDuration)"
    }

    private var interlaceFilters: String {
        "idet=intl_thres=\(options.interlaceThreshold):prog_thres=\(options.progressiveThreshold)"
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
        let pts = Int64((seconds * Double(timeBase.den) / Double(timeBase.num)).rounded())
        do throws(MediaError) {
            if let current = pictureChain, !current.accepts(frame) {
                // A size or format change needs new chains; runs are split at the change.
                try current.finish(handle: readPicture)
                closeOpenSegments(at: seconds)
                pictureChain = nil
                try endInterlaceWindow()
            }
            let pictures: FilterChain
            if let pictureChain { pictures = pictureChain } else {
                pictures = try FilterChain(videoLike: frame, timeBase: timeBase, filters: pictureFilters, path: path)
            }
            pictureChain = pictures
            try pictures.push(frame, pts: pts, handle: readPicture)
            try sampleInterlace(frame, pts: pts, seconds: seconds)
        } catch {
            incompleteReason = "video analysis stopped at \(Self.format(seconds)) s: \(error.message)"
            pictureChain = nil
            interlaceChain = nil
        }
    }

    func finish() throws {
        do throws(MediaError) {
            try pictureChain?.finish(handle: readPicture)
            try endInterlaceWindow()
        } catch {
            incompleteReason = "video analysis could not finish: \(error.message)"
        }
        pictureChain = nil
        interlaceChain = nil
        // blackdetect and freezedetect leave a run open at the end of the stream; it ends
        // where the last picture stops being shown.
        if let lastFrameEnd { closeOpenSegments(at: lastFrameEnd) }
    }

    /// idet is the costliest filter here and interlacing is a property of the whole
    /// stream, so it sees consecutive frames only inside periodic windows; each window gets
    /// a fresh chain so no field is ever compared across a gap.
    private func sampleInterlace(_ frame: UnsafeMutablePointer<AVFrame>, pts: Int64, seconds: Double) throws(MediaError) {
        let interval = options.interlaceSampleInterval
        let window: Int?
        if interval <= 0 {
            window = 0
        } else {
            let index = Int((seconds / interval).rounded(.down))
            window = seconds - Double(index) * interval < options.interlaceSampleWindow ? index : nil
        }
        if window != interlaceWindow { try endInterlaceWindow() }
        guard let window else { return }
        let chain: FilterChain
        if let interlaceChain { chain = interlaceChain } else {
            chain = try FilterChain(videoLike: frame, timeBase: timeBase, filters: interlaceFilters, path: path)
        }
        interlaceChain = chain
        interlaceWindow = window
        try chain.push(frame, pts: pts, handle: readInterlace)
    }

    private func endInterlaceWindow() throws(MediaError) {
        defer {
            interlaceChain = nil
            interlaceWindow = nil
            sampledCounts = sampledCounts + windowCounts
            windowCounts = InterlaceCounts()
        }
        try interlaceChain?.finish(handle: readInterlace)
    }

    private func readPicture(_ frame: UnsafeMutablePointer<AVFrame>) {
        // The chain passes frames through, so their timestamps keep the stream's time base.
        let seconds = Double(frame.pointee.pts) * Double(timeBase.num) / Double(timeBase.den)
        if FilterChain.metadata(frame, "lavfi.black_start") != nil, blackStart == nil { blackStart = seconds }
        if FilterChain.metadata(frame, "lavfi.black_end") != nil { closeBlack(at: seconds) }
        // freeze_start names the first frozen picture, which went by up to `d` seconds ago.
        if let value = FilterChain.metadata(frame, "lavfi.freezedetect.freeze_start"), freezeStart == nil {
            freezeStart = Double(value) ?? seconds
        }
        if FilterChain.metadata(frame, "lavfi.freezedetect.freeze_end") != nil { closeFreeze(at: seconds) }
    }

    private func readInterlace(_ frame: UnsafeMutablePointer<AVFrame>) {
        // idet's counts are running totals: a window's last frame carries the window's.
        if let tff = Self.count(frame, "lavfi.idet.multiple.tff") {
            windowCounts = InterlaceCounts(
                tff: tff, bff: Self.count(frame, "lavfi.idet.multiple.bff") ?? 0,
                progressive: Self.count(frame, "lavfi.idet.multiple.progressive") ?? 0,
                undetermined: Self.count(frame, "lavfi.idet.multiple.undetermined") ?? 0)
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

/// idet's multi-frame classification counts.
private struct InterlaceCounts {
    var tff = 0, bff = 0, progressive = 0, undetermined = 0

    static func + (lhs: InterlaceCounts, rhs: InterlaceCounts) -> InterlaceCounts {
        InterlaceCounts(tff: lhs.tff + rhs.tff, bff: lhs.bff + rhs.bff, progressive: lhs.progressive + rhs.progressive,
                        undetermined: lhs.undetermined + rhs.undetermined)
    }
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
    private(set) var frames = 0

    init(tolerance: Double) { self.tolerance = tolerance }

    mutating func add(_ seconds: Double) {
        frames += 1
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
