import Media

/// Rules every probed video is checked against, from `VIDPIPE_POLICY_*`.
///
/// A rule that is broken makes the verdict `fail`; soft rules (`audio: .warn`) make it
/// `warn`. Every reason is kept, so a person sees all that is wrong at once.
public struct MediaPolicy: Sendable, Equatable {
    /// What a container or codec off the house lists below means: a warning (`standard`,
    /// the default) or a rejection (`strict`).
    public var preset: Preset
    /// The house containers, as libavformat names its demuxers (`mp4`, `matroska`, …).
    /// A file is on the list when any name of its demuxer is listed. Empty lists all.
    public var containers: Set<String>
    /// The house video codecs (`h264`, `hevc`, …). Empty lists all.
    public var videoCodecs: Set<String>
    /// The house audio codecs. Empty lists all.
    public var audioCodecs: Set<String>
    public var minWidth: Int
    public var minHeight: Int
    public var maxWidth: Int
    public var maxHeight: Int
    /// Longest accepted duration in seconds.
    public var maxDurationSeconds: Double
    /// Whether a video without audio fails, warns or passes.
    public var audio: AudioRequirement
    /// Lowest accepted overall bit rate, bits/s; 0 accepts any.
    public var minBitRate: Int64
    /// Largest accepted share of the duration that is black, and that is silent (0…1).
    public var maxBlackShare: Double
    public var maxSilenceShare: Double

    public enum AudioRequirement: String, Sendable, CaseIterable {
        case require, warn, optional
    }

    /// `VIDPIPE_POLICY_PRESET`.
    public enum Preset: String, Sendable, CaseIterable {
        /// Every file the libraries decode is accepted and converted; a legacy container or
        /// codec (FLV, ASF, Ogg, theora, wmv2 …) only warns, the way hosted video services
        /// take "non-standard input". Corrupt and undecodable files still fail.
        case standard
        /// A container or codec off the house lists fails: for archives that must hold only
        /// their house formats.
        case strict

        /// The severity of a finding about a format off the house lists.
        var unlistedFormat: PolicyFinding.Severity { self == .strict ? .fail : .warn }
    }

    /// The documented defaults (`config/vidpipe.env`).
    public static let `default` = MediaPolicy(
        preset: .standard,
        containers: ["mov", "mp4", "matroska", "webm", "mpegts", "avi", "mxf"],
        videoCodecs: ["h264", "hevc", "vp8", "vp9", "av1", "mpeg2video", "mpeg4", "prores", "mjpeg", "dnxhd", "ffv1"],
        audioCodecs: ["aac", "mp3", "mp2", "opus", "vorbis", "ac3", "eac3", "flac", "pcm_s16le", "pcm_s24le"],
        minWidth: 64, minHeight: 64, maxWidth: 7680, maxHeight: 4320,
        maxDurationSeconds: 4 * 3600,
        audio: .warn,
        minBitRate: 0,
        maxBlackShare: 0.5,
        maxSilenceShare: 0.9
    )
}
