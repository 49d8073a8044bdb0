/// One detected scene change.
public struct SceneCut: Codable, Sendable, Equatable {
    /// Presentation time of the first frame of the new scene, seconds from the stream start.
    public var seconds: Double
    /// Index of that frame in decode output order (0-based).
    public var frameIndex: Int
    /// Change score 0…100 on the scale of ffmpeg's `scdet` (mean absolute frame difference
    /// in percent of full scale, less the previous frame's).
    public var score: Double
}

/// Keyframe spacing, from the video packets' key flags.
///
/// A GOP runs from one keyframe to the next. The last one is cut short by the end of the file,
/// so it counts only when it is the only one.
public struct GOPStatistics: Codable, Sendable, Equatable {
    /// Video packets flagged as keyframes.
    public var keyframeCount = 0
    /// Video packets seen.
    public var videoPacketCount = 0
    /// GOP length in frames (packets): shortest, mean, longest; 0 without keyframes.
    public var minFrames = 0
    public var meanFrames = 0.0
    public var maxFrames = 0
    /// GOP length in seconds (keyframe to next keyframe, presentation time).
    public var minSeconds = 0.0
    public var meanSeconds = 0.0
    public var maxSeconds = 0.0
}

/// Bytes per second of stream, as kbit/s (1000 bit/s). Entry `i` covers
/// `[i, i + 1)` seconds after the first packet; the last entry may cover part of a second.
public struct BitrateProfile: Codable, Sendable, Equatable {
    public var videoKbps: [Double] = []
    public var audioKbps: [Double] = []
    /// Total packet payload bytes counted, per stream.
    public var videoBytes: Int64 = 0
    public var audioBytes: Int64 = 0
}

/// Everything the enrichment consumers learn in one decode pass.
public struct EnrichmentReport: Codable, Sendable, Equatable {
    public var sceneCuts: [SceneCut]
    public var gop: GOPStatistics
    public var bitrate: BitrateProfile
    /// Nil when the source has no video stream.
    public var fingerprint: VideoFingerprint?
}

/// Settings of the enrichment consumers.
public struct EnrichmentOptions: Sendable, Equatable {
    /// Scene-change score (0…100) at or above which a frame starts a new scene. Default 10,
    /// the default of ffmpeg's `scdet`.
    public var sceneThreshold: Double = 10
    /// Width of the gray picture the scene detector compares (height keeps the aspect).
    /// Default 128: cuts are large-area changes, and small pictures keep per-frame cost low.
    public var sceneAnalysisWidth: Int = 128

    public init() {}
}
