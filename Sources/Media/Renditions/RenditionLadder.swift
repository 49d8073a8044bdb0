import Foundation

/// The encoding ladder from config: which renditions to make from every source, and how.
///
/// Pure data: ``plan(for:)`` turns it into per-source ``RenditionPlan``s (never upscaling,
/// keeping the display aspect ratio, capping the frame rate).
public struct RenditionLadder: Sendable, Codable, Equatable {
    /// One step of the ladder.
    public struct Rung: Sendable, Codable, Equatable {
        /// Used in file names (`NAME.mp4`) and results, e.g. `"720p"`.
        public var name: String
        /// Output height in pixels; the width follows the source's display aspect ratio.
        public var height: Int
        /// Average video bit rate in bits/s (ABR); nil means constant quality (``crf``).
        public var videoBitRate: Int?
        /// libx264 constant rate factor, used when ``videoBitRate`` is nil. Default 23.
        public var crf: Double
        /// VBV maximum rate in bits/s; nil for none.
        public var maxRate: Int?
        /// VBV buffer size in bits; nil for none.
        public var bufferSize: Int?
        /// AAC bit rate in bits/s.
        public var audioBitRate: Int

        public init(name: String, height: Int, videoBitRate: Int?, crf: Double = 23, maxRate: Int? = nil,
                    bufferSize: Int? = nil, audioBitRate: Int) {
            self.name = name
            self.height = height
            self.videoBitRate = videoBitRate
            self.crf = crf
            self.maxRate = maxRate
            self.bufferSize = bufferSize
            self.audioBitRate = audioBitRate
        }
    }

    /// The rungs, any order (plans come out tallest first).
    public var rungs: [Rung]
    /// libx264 preset. Default `veryfast`.
    public var preset: String
    /// Output frame-rate ceiling; faster sources drop frames down to it. Default 60.
    public var maxFrameRate: Int
    /// Keyframe interval in seconds (segment-friendly GOPs). Default 2.
    public var keyframeIntervalSeconds: Double
    /// libx264 threads per rung; nil shares the cores out by each rung's pixel count (see
    /// ``RenditionPlan/threadShares(pixelCounts:cores:)``); 0 lets every x264 take its own
    /// default. Default nil.
    public var encoderThreads: Int?
    /// Have x264 measure each rendition's PSNR and SSIM against the scaled source while it
    /// encodes. Default true.
    public var measuresQuality: Bool
    /// Segment length of the adaptive (HLS/CMAF) stream written beside the MP4s, seconds;
    /// every rung forces an IDR at each multiple of it. nil writes no stream. Default 4.
    public var segmentSeconds: Double?
    /// Also write a DASH manifest (`manifest.mpd`) over the stream's segments; needs
    /// ``segmentSeconds``. Default false.
    public var writesDASHManifest: Bool

    public init(rungs: [Rung], preset: String = "veryfast", maxFrameRate: Int = 60, keyframeIntervalSeconds: Double = 2,
                encoderThreads: Int? = nil, measuresQuality: Bool = true, segmentSeconds: Double? = 4, writesDASHManifest: Bool = false) {
        self.rungs = rungs
        self.segmentSeconds = segmentSeconds
        self.writesDASHManifest = writesDASHManifest
        self.preset = preset
        self.maxFrameRate = maxFrameRate
        self.keyframeIntervalSeconds = keyframeIntervalSeconds
        self.encoderThreads = encoderThreads
        self.measuresQuality = measuresQuality
    }

    /// 1080p/720p/480p/360p H.264 + AAC in MP4, constrained ABR.
    public static let `default` = RenditionLadder(rungs: [
        Rung(name: "1080p", height: 1080, videoBitRate: 5_000_000, maxRate: 5_350_000, bufferSize: 7_500_000, audioBitRate: 128_000),
        Rung(name: "720p", height: 720, videoBitRate: 2_800_000, maxRate: 2_996_000, bufferSize: 4_200_000, audioBitRate: 128_000),
        Rung(name: "480p", height: 480, videoBitRate: 1_400_000, maxRate: 1_498_000, bufferSize: 2_100_000, audioBitRate: 96_000),
        Rung(name: "360p", height: 360, videoBitRate: 800_000, maxRate: 856_000, bufferSize: 1_200_000, audioBitRate: 96_000),
    ])

    /// The renditions to make from `source`, tallest first.
    ///
    /// Rungs taller than the source's display height are skipped; a source shorter than
    /// every rung gets one rendition at its own (even) size with the smallest rung's
    /// settings. Dimensions keep the display aspect ratio (SAR and rotation applied) and
    /// are even, as yuv420p requires.
    public func plan(for source: RenditionSource) -> [RenditionPlan] {
        let display = source.displaySize
        guard display.width >= 2, display.height >= 2, !rungs.isEmpty else { return [] }
        let frameRate = source.frameRate.map { min($0, Double(maxFrameRate)) }

        func makePlan(_ rung: Rung, height: Int, name: String) -> RenditionPlan {
            let width = Self.even(Double(height) * Double(display.width) / Double(display.height))
            return RenditionPlan(
                name: name, width: max(2, width), height: height, rotation: source.quarterTurns,
                frameRate: frameRate, dropsFrames: (source.frameRate ?? 0) > Double(maxFrameRate),
                maxFrameRate: maxFrameRate, videoBitRate: rung.videoBitRate, crf: rung.crf,
                maxRate: rung.maxRate, bufferSize: rung.bufferSize, audioBitRate: rung.audioBitRate,
                audioSampleRate: 48_000, audioChannels: 2, preset: preset,
                keyframeIntervalSeconds: keyframeIntervalSeconds, encoderThreads: encoderThreads ?? 1,
                measuresQuality: measuresQuality, segmentSeconds: segmentSeconds, writesAudioTrack: false)
        }

        let sorted = rungs.sorted { $0.height > $1.height }
        let fitting = sorted.filter { $0.height <= display.height }
        var plans: [RenditionPlan]
        if fitting.isEmpty, let smallest = sorted.last {
            let height = Self.even(Double(display.height), roundingDown: true)
            plans = [makePlan(smallest, height: height, name: "\(height)p")]
        } else {
            plans = fitting.map { makePlan($0, height: Self.even(Double($0.height), roundingDown: true), name: $0.name) }
        }
        // Rungs sharing an audio bit rate encode the same audio: the tallest one's goes in the stream.
        var audioTracks: Set<Int> = []
        for index in plans.indices { plans[index].writesAudioTrack = audioTracks.insert(plans[index].audioBitRate).inserted }
        if encoderThreads == nil {
            let shares = RenditionPlan.threadShares(
                pixelCounts: plans.map { $0.width * $0.height }, cores: ProcessInfo.processInfo.activeProcessorCount)
            for index in plans.indices { plans[index].encoderThreads = shares[index] }
        }
        return plans
    }

    /// The nearest even integer (or the even floor, so a size never exceeds the source).
    static func even(_ value: Double, roundingDown: Bool = false) -> Int {
        roundingDown ? Int((value / 2).rounded(.down)) * 2 : Int((value / 2).rounded()) * 2
    }
}

/// What the ladder needs to know about a source video stream.
public struct RenditionSource: Sendable, Codable, Equatable {
    /// Coded (stored) size in pixels, before SAR and rotation.
    public var width: Int
    public var height: Int
    /// Sample aspect ratio; `0/1` or `0/0` means square pixels.
    public var sampleAspectRatio: Rational
    /// Display-matrix rotation as `av_display_rotation_get` returns it (counter-clockwise).
    public var rotationDegrees: Double
    /// Average frame rate, nil when unknown.
    public var frameRate: Double?

    public init(width: Int, height: Int, sampleAspectRatio: Rational = Rational(1, 1), rotationDegrees: Double = 0, frameRate: Double?) {
        self.width = width
        self.height = height
        self.sampleAspectRatio = sampleAspectRatio
        self.rotationDegrees = rotationDegrees
        self.frameRate = frameRate
    }

    /// Clockwise quarter turns a player applies to show the picture upright (0...3), the
    /// way the ffmpeg CLI's autorotate reads the display matrix.
    public var quarterTurns: Int {
        let clockwise = -rotationDegrees
        let normalized = clockwise - 360 * (clockwise / 360).rounded(.down)
        return Int((normalized / 90).rounded()) % 4
    }

    /// Width and height as shown: SAR stretches the width, an odd quarter turn swaps them.
    public var displaySize: (width: Int, height: Int) {
        let sar = sampleAspectRatio.numerator > 0 && sampleAspectRatio.denominator > 0
            ? Double(sampleAspectRatio.numerator) / Double(sampleAspectRatio.denominator) : 1
        let shownWidth = Int((Double(width) * sar).rounded())
        return quarterTurns % 2 == 1 ? (height, shownWidth) : (shownWidth, height)
    }
}

/// One rendition to make from one source: final size, frame rate and encoder settings.
public struct RenditionPlan: Sendable, Codable, Equatable {
    public var name: String
    /// Output size in pixels (even, square pixels, upright).
    public var width: Int
    public var height: Int
    /// Clockwise quarter turns applied to the pixels (no rotation metadata is written).
    public var rotation: Int
    /// Output frame rate (the source's, capped); nil when the source does not declare one.
    public var frameRate: Double?
    /// Whether frames are dropped to respect ``maxFrameRate``.
    public var dropsFrames: Bool
    public var maxFrameRate: Int
    public var videoBitRate: Int?
    public var crf: Double
    public var maxRate: Int?
    public var bufferSize: Int?
    public var audioBitRate: Int
    public var audioSampleRate: Int
    public var audioChannels: Int
    public var preset: String
    public var keyframeIntervalSeconds: Double
    /// libx264 threads for this rung.
    public var encoderThreads: Int
    public var measuresQuality: Bool
    /// See ``RenditionLadder/segmentSeconds``; nil: this rung writes only its MP4.
    public var segmentSeconds: Double?
    /// Whether this rung's audio becomes the stream's audio track for its bit rate.
    public var writesAudioTrack: Bool

    /// The name of the stream's audio track at this rung's audio bit rate, e.g. `audio_128k`.
    public var audioTrackName: String { "audio_\(audioBitRate / 1000)k" }

    /// x264 threads for rungs that encode in parallel, in proportion to their pixels.
    ///
    /// The tallest rung costs about as much as all the others together, so equal shares
    /// leave it alone on the critical path while the small rungs' threads idle. The budget
    /// is x264's own default for one encoder (1.5 threads per core) and every rung gets at
    /// least one; each extra frame thread holds a few more frames, so the budget is not
    /// multiplied by the rung count the way separate x264 runs would.
    static func threadShares(pixelCounts: [Int], cores: Int) -> [Int] {
        let total = Double(pixelCounts.reduce(0, +))
        guard total > 0 else { return pixelCounts.map { _ in 1 } }
        let budget = 1.5 * Double(max(1, cores))
        return pixelCounts.map { max(1, Int((budget * Double($0) / total).rounded())) }
    }
}
