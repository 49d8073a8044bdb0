/// A stretch of the source, in seconds from the stream start.
public struct QCSegment: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var duration: Double { end - start }

    enum CodingKeys: String, CodingKey { case start = "start_seconds", end = "end_seconds" }

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }
}

/// EBU R128 loudness of the decoded audio, as ffmpeg's ebur128 summary reports it.
public struct QCLoudness: Codable, Sendable, Equatable {
    /// Integrated loudness, LUFS.
    public var integrated: Double
    /// Loudness range, LU.
    public var range: Double
    /// Highest peak over all channels in dBTP (true peak) or dBFS (sample peak); nil for
    /// digital silence, whose peak is minus infinity.
    public var peak: Double?
    /// Whether `peak` is the oversampled true peak.
    public var peakIsTruePeak: Bool
}

/// Where the video and the audio end, and by how much they differ.
public struct QCAudioVideoTiming: Codable, Sendable, Equatable {
    /// End of the last video frame, seconds.
    public var videoEnd: Double
    /// End of the last audio frame, seconds.
    public var audioEnd: Double
    /// `audioEnd - videoEnd`: positive when the audio runs longer.
    public var difference: Double { audioEnd - videoEnd }
}

/// Frame-duration statistics, like ffmpeg's vfrdet.
public struct QCFrameRate: Codable, Sendable, Equatable {
    /// Frames whose duration differs from the previous one (vfrdet's VFR count).
    public var variableFrames: Int
    /// Frames whose duration equals the previous one.
    public var constantFrames: Int
    /// Shortest and longest frame duration seen, seconds.
    public var minimumFrameDuration: Double
    public var maximumFrameDuration: Double
    /// `variableFrames / (variableFrames + constantFrames)`, 0 for fewer than two frames.
    public var vfrRatio: Double {
        let total = variableFrames + constantFrames
        return total > 0 ? Double(variableFrames) / Double(total) : 0
    }
}

/// idet's multi-frame field-order counts, and what the bitstream itself says.
public struct QCInterlace: Codable, Sendable, Equatable {
    public var topFieldFirst: Int
    public var bottomFieldFirst: Int
    public var progressive: Int
    public var undetermined: Int
    /// Frames the decoder reported as coded interlaced (`interlaced_frame`).
    public var codedInterlacedFrames: Int

    /// The more frequent field order's share of idet's classified frames; real interlaced
    /// video keeps one order, while busy progressive video splits between both.
    public var dominantFieldOrderShare: Double {
        classifiedFrames > 0 ? Double(max(topFieldFirst, bottomFieldFirst)) / Double(classifiedFrames) : 0
    }

    /// Frames idet placed as top-first, bottom-first or progressive.
    public var classifiedFrames: Int { topFieldFirst + bottomFieldFirst + progressive }
}

/// The decode pass's health, as QC reads it.
public struct QCDecodeSummary: Codable, Sendable, Equatable {
    public var errorCount: Int
    public var videoFramesDecoded: Int64
    public var expectedVideoFrames: Int64?
    public var missingVideoFrames: Int64
    public var isHealthy: Bool
}

/// One problem (or notable fact) QC found, with where it happens.
public struct QCFinding: Codable, Sendable, Equatable {
    /// How bad a finding is; ordered, so the worst of a list is its `max()`.
    public enum Severity: String, Codable, Sendable, Comparable {
        case info, warn, fail

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
        private var rank: Int {
            switch self {
            case .info: 0
            case .warn: 1
            case .fail: 2
            }
        }
    }

    /// A stable identifier such as `qc.black`; new kinds may appear, existing ones never change.
    public struct Kind: Hashable, Codable, Sendable, RawRepresentable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let black = Kind(rawValue: "qc.black")
        public static let frozen = Kind(rawValue: "qc.frozen")
        public static let silence = Kind(rawValue: "qc.silence")
        public static let loudness = Kind(rawValue: "qc.loudness")
        public static let audioVideoMismatch = Kind(rawValue: "qc.av_mismatch")
        public static let variableFrameRate = Kind(rawValue: "qc.vfr")
        public static let interlaced = Kind(rawValue: "qc.interlaced")
        /// A frame's timestamp is earlier than the one before it (pieces joined, a clock reset).
        public static let timestampsBackwards = Kind(rawValue: "qc.timestamps_backwards")
        public static let decodeErrors = Kind(rawValue: "qc.decode_errors")
        public static let truncated = Kind(rawValue: "qc.truncated")
        /// An analyzer could not look at all of the stream (e.g. audio format changed mid-file).
        public static let analysisIncomplete = Kind(rawValue: "qc.analysis_incomplete")
    }

    public var kind: Kind
    public var severity: Severity
    public var message: String
    /// Where the finding applies, seconds; nil for whole-file findings.
    public var start: Double?
    public var end: Double?

    /// Named like every finding vidpipe writes (policy findings, the catalog's rows).
    enum CodingKeys: String, CodingKey {
        case kind, severity, message, start = "start_seconds", end = "end_seconds"
    }
}

/// Everything the quality checks found in one decode pass.
public struct QCReport: Codable, Sendable, Equatable {
    public var black: [QCSegment] = []
    public var frozen: [QCSegment] = []
    public var silence: [QCSegment] = []
    /// Nil without audio.
    public var loudness: QCLoudness?
    /// Nil unless the file has both video and audio frames.
    public var timing: QCAudioVideoTiming?
    /// Nil without video.
    public var frameRate: QCFrameRate?
    /// Nil without video.
    public var interlace: QCInterlace?
    public var decode: QCDecodeSummary
    /// Every finding, in the order of the checks above.
    public var findings: [QCFinding] = []

    /// The worst severity among the findings, nil when there are none.
    public var worstSeverity: QCFinding.Severity? { findings.map(\.severity).max() }
}
