/// What an in-process probe learned about one media file: the container and its streams.
///
/// Field meanings follow `ffprobe -show_format -show_streams`; optional fields are nil where
/// ffprobe would print `N/A`/`unknown` or omit the key.
public struct ProbeReport: Codable, Sendable, Equatable {
    public var container: ContainerInfo
    public var streams: [StreamInfo]

    public init(container: ContainerInfo, streams: [StreamInfo]) {
        self.container = container
        self.streams = streams
    }

    /// Video streams, excluding attached pictures (cover art is not video).
    public var videoStreams: [StreamInfo] { streams.filter { $0.kind == .video && !$0.isAttachedPicture } }
    /// Audio streams.
    public var audioStreams: [StreamInfo] { streams.filter { $0.kind == .audio } }
    /// The default-flagged video stream, else the first one.
    public var primaryVideo: StreamInfo? { videoStreams.first(where: \.isDefault) ?? videoStreams.first }
    /// The default-flagged audio stream, else the first one.
    public var primaryAudio: StreamInfo? { audioStreams.first(where: \.isDefault) ?? audioStreams.first }
}

/// Container-level facts (ffprobe's `format` section).
public struct ContainerInfo: Codable, Sendable, Equatable {
    /// Demuxer short name(s), e.g. `"mov,mp4,m4a,3gp,3g2,mj2"`.
    public var formatName: String
    /// Demuxer description, e.g. `"QuickTime / MOV"`.
    public var formatLongName: String
    /// Container duration in seconds; nil when the container does not know it.
    public var durationSeconds: Double?
    /// Overall bit rate in bits/s; nil when unknown.
    public var bitRate: Int64?
    /// File size on disk in bytes.
    public var sizeBytes: Int64
    /// Start time of the earliest stream in seconds; nil when unknown.
    public var startTimeSeconds: Double?
    /// Container metadata (e.g. `major_brand`, `encoder`).
    public var tags: [String: String]

    public init(
        formatName: String, formatLongName: String, durationSeconds: Double? = nil, bitRate: Int64? = nil,
        sizeBytes: Int64, startTimeSeconds: Double? = nil, tags: [String: String] = [:]
    ) {
        self.formatName = formatName
        self.formatLongName = formatLongName
        self.durationSeconds = durationSeconds
        self.bitRate = bitRate
        self.sizeBytes = sizeBytes
        self.startTimeSeconds = startTimeSeconds
        self.tags = tags
    }
}

/// The media type of a stream (`AVMediaType`), with ffprobe's `codec_type` spelling.
public enum StreamKind: String, Codable, Sendable, Hashable, CaseIterable {
    case video, audio, subtitle, data, attachment, unknown
}

/// Per-stream facts (one entry of ffprobe's `streams` array).
public struct StreamInfo: Codable, Sendable, Equatable {
    /// Index of the stream in the container.
    public var index: Int
    public var kind: StreamKind
    /// Codec short name, e.g. `"h264"`; `"unknown"` when FFmpeg has no descriptor.
    public var codecName: String
    /// Codec description, e.g. `"H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10"`.
    public var codecLongName: String
    /// Codec profile name, e.g. `"High"`, `"LC"`.
    public var profile: String?
    /// Codec level as stored by the container (e.g. 30 for H.264 level 3.0).
    public var level: Int?

    // Video.
    public var width: Int?
    public var height: Int?
    /// Sample (pixel) aspect ratio as ffprobe guesses it from stream and codec.
    public var sampleAspectRatio: Rational?
    /// Display aspect ratio: width·SAR : height, reduced.
    public var displayAspectRatio: Rational?
    /// Pixel format name, e.g. `"yuv420p"`.
    public var pixelFormat: String?
    /// `bits_per_raw_sample` as stored in the codec parameters (often absent).
    public var bitsPerRawSample: Int?
    /// Bit depth of the first component of the pixel format (8, 10, 12...).
    public var bitDepth: Int?
    /// Average frame rate (ffprobe `avg_frame_rate`); nil when 0/0.
    public var averageFrameRate: Rational?
    /// Lowest rate that represents all timestamps exactly (ffprobe `r_frame_rate`); nil when 0/0.
    public var realFrameRate: Rational?
    /// `progressive`, `tt`, `bb`, `tb` or `bt`; nil when unknown.
    public var fieldOrder: String?
    /// Rotation from the display matrix in degrees (`av_display_rotation_get`), the same
    /// value and sign as ffprobe's `side_data_list[].rotation` with the same libavutil
    /// (FFmpeg 5.1 shows a `rotate=90` tag as 90). Nil without a display matrix.
    public var rotationDegrees: Double?
    public var colorRange: String?
    public var colorSpace: String?
    public var colorTransfer: String?
    public var colorPrimaries: String?

    // Audio.
    public var sampleRate: Int?
    public var channels: Int?
    /// Channel layout description, e.g. `"stereo"`, `"5.1(side)"`.
    public var channelLayout: String?
    /// Sample format name, e.g. `"fltp"`.
    public var sampleFormat: String?

    // Common.
    /// Stream bit rate in bits/s; nil when the container does not record one.
    public var bitRate: Int64?
    /// The `language` tag.
    public var language: String?
    /// The `title` tag.
    public var title: String?
    /// Number of frames (`nb_frames`) when the container records it.
    public var frameCount: Int64?
    /// Stream duration in seconds; nil when unknown.
    public var durationSeconds: Double?
    /// Stream start time in seconds; nil when unknown.
    public var startTimeSeconds: Double?
    /// Time base of the stream's timestamps.
    public var timeBase: Rational
    /// Whether the stream carries the `default` disposition.
    public var isDefault: Bool
    /// Whether the stream is an attached picture (cover art) rather than real video.
    public var isAttachedPicture: Bool
    /// Stream metadata (includes `language`, `handler_name`...).
    public var tags: [String: String]

    public init(index: Int, kind: StreamKind, codecName: String, codecLongName: String, timeBase: Rational) {
        self.index = index
        self.kind = kind
        self.codecName = codecName
        self.codecLongName = codecLongName
        self.timeBase = timeBase
        self.isDefault = false
        self.isAttachedPicture = false
        self.tags = [:]
    }
}
