import Media

/// Rules every probed video is checked against, from `VIDPIPE_POLICY_*`.
///
/// A rule that is broken makes the verdict `fail`; soft rules (`audio: .warn`) make it
/// `warn`. Every reason is kept, so a person sees all that is wrong at once.
public struct MediaPolicy: Sendable, Equatable {
    /// Accepted container short names as libavformat reports them (`mp4`, `matroska`, …).
    /// A file passes when any name of its demuxer is listed. Empty allows all.
    public var containers: Set<String>
    /// Accepted video codecs (`h264`, `hevc`, …). Empty allows all.
    public var videoCodecs: Set<String>
    /// Accepted audio codecs. Empty allows all.
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

    public static let `default` = MediaPolicy(
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

    var environmentLines: [String] {
        [
            "VIDPIPE_POLICY_CONTAINERS=\(containers.sorted().joined(separator: ","))",
            "VIDPIPE_POLICY_VIDEO_CODECS=\(videoCodecs.sorted().joined(separator: ","))",
            "VIDPIPE_POLICY_AUDIO_CODECS=\(audioCodecs.sorted().joined(separator: ","))",
            "VIDPIPE_POLICY_MIN_RESOLUTION=\(minWidth)x\(minHeight)",
            "VIDPIPE_POLICY_MAX_RESOLUTION=\(maxWidth)x\(maxHeight)",
            "VIDPIPE_POLICY_MAX_DURATION_SECONDS=\(maxDurationSeconds)",
            "VIDPIPE_POLICY_AUDIO=\(audio.rawValue)",
            "VIDPIPE_POLICY_MIN_BITRATE=\(minBitRate)",
            "VIDPIPE_POLICY_MAX_BLACK_SHARE=\(maxBlackShare)",
            "VIDPIPE_POLICY_MAX_SILENCE_SHARE=\(maxSilenceShare)",
        ]
    }

    /// Checks a probe and, when the silver pass ran, its quality checks against the rules.
    /// QC findings (black, frozen, silent segments, loudness, decode errors …) are carried
    /// over with their timecodes, so the verdict holds every reason.
    public func evaluate(_ probe: ProbeReport, silver: MediaPassResult? = nil) -> PolicyVerdict {
        var findings: [PolicyFinding] = []
        func fail(_ rule: String, _ message: String) { findings.append(PolicyFinding(rule: rule, severity: .fail, message: message)) }

        let demuxerNames = Set(probe.container.formatName.split(separator: ",").map(String.init))
        if !containers.isEmpty, demuxerNames.isDisjoint(with: containers) {
            fail("policy.container", "container \(probe.container.formatName) is not accepted (allowed: \(containers.sorted().joined(separator: ", ")))")
        }
        let videos = probe.streams.filter { $0.kind == .video && !$0.isAttachedPicture }
        let audios = probe.streams.filter { $0.kind == .audio }
        if videos.isEmpty {
            fail("policy.video_missing", "no video stream: only \(audios.isEmpty ? "non-media" : "audio") streams found")
        }
        for stream in videos {
            let codec = stream.codecName
            if !videoCodecs.isEmpty, !videoCodecs.contains(codec) {
                fail("policy.video_codec", "stream #\(stream.index): video codec \(codec) is not accepted (allowed: \(videoCodecs.sorted().joined(separator: ", ")))")
            }
            if let width = stream.width, let height = stream.height {
                if width < minWidth || height < minHeight {
                    fail("policy.min_resolution", "stream #\(stream.index): \(width)x\(height) is below the minimum \(minWidth)x\(minHeight)")
                }
                if width > maxWidth || height > maxHeight {
                    fail("policy.max_resolution", "stream #\(stream.index): \(width)x\(height) is above the maximum \(maxWidth)x\(maxHeight)")
                }
            } else {
                fail("policy.resolution_unknown", "stream #\(stream.index): the container does not declare the picture size")
            }
        }
        for stream in audios {
            let codec = stream.codecName
            if !audioCodecs.isEmpty, !audioCodecs.contains(codec) {
                fail("policy.audio_codec", "stream #\(stream.index): audio codec \(codec) is not accepted (allowed: \(audioCodecs.sorted().joined(separator: ", ")))")
            }
        }
        if audios.isEmpty, !videos.isEmpty {
            switch audio {
            case .require: fail("policy.audio_missing", "no audio stream, and audio is required")
            case .warn: findings.append(PolicyFinding(rule: "policy.audio_missing", severity: .warn, message: "no audio stream"))
            case .optional: break
            }
        }
        if let duration = probe.container.durationSeconds {
            if duration > maxDurationSeconds {
                fail("policy.max_duration", String(format: "duration %.3f s exceeds the maximum %.0f s", duration, maxDurationSeconds))
            }
        } else {
            findings.append(PolicyFinding(rule: "policy.duration_unknown", severity: .warn, message: "the container does not declare a duration"))
        }
        if minBitRate > 0, let bitRate = probe.container.bitRate, bitRate < minBitRate {
            fail("policy.min_bitrate", "bit rate \(bitRate / 1000) kb/s is below the minimum \(minBitRate / 1000) kb/s")
        }
        if let silver {
            findings += silver.qc.findings.map { finding in
                PolicyFinding(rule: finding.kind.rawValue, severity: PolicyFinding.Severity(finding.severity), message: finding.message,
                              startSeconds: finding.start, endSeconds: finding.end)
            }
            if let duration = probe.container.durationSeconds, duration > 0 {
                let black = silver.qc.black.reduce(0) { $0 + $1.duration } / duration
                if black > maxBlackShare {
                    fail("policy.max_black_share", String(format: "%.0f%% of the video is black (limit %.0f%%)", black * 100, maxBlackShare * 100))
                }
                let silent = silver.qc.silence.reduce(0) { $0 + $1.duration } / duration
                if !audios.isEmpty, silent > maxSilenceShare {
                    fail("policy.max_silence_share", String(format: "%.0f%% of the audio is silent (limit %.0f%%)", silent * 100, maxSilenceShare * 100))
                }
            }
        }
        return PolicyVerdict(findings: findings)
    }
}

/// The outcome of the policy check.
public struct PolicyVerdict: Sendable, Codable, Equatable {
    public var findings: [PolicyFinding]
    /// `fail` when any finding fails, `warn` when any warns, else `pass`.
    public var verdict: Verdict {
        switch findings.map(\.severity).max() {
        case .fail?: .fail
        case .warn?: .warn
        case .info?, nil: .pass
        }
    }
}

/// One broken rule or one thing the quality checks noticed.
public struct PolicyFinding: Sendable, Codable, Equatable {
    /// A stable name such as `policy.video_codec` or `qc.black`, for counting and filtering.
    public var rule: String
    public var severity: Severity
    public var message: String
    /// Where in the video it applies, seconds; nil for whole-file findings.
    public var startSeconds: Double?
    public var endSeconds: Double?

    public init(rule: String, severity: Severity, message: String, startSeconds: Double? = nil, endSeconds: Double? = nil) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
    }

    /// info < warn < fail.
    public enum Severity: String, Sendable, Codable, Comparable {
        case info, warn, fail

        init(_ qc: QCFinding.Severity) {
            switch qc {
            case .info: self = .info
            case .warn: self = .warn
            case .fail: self = .fail
            }
        }

        private var rank: Int { switch self { case .info: 0; case .warn: 1; case .fail: 2 } }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }
}

/// pass < warn < fail.
public enum Verdict: String, Sendable, Codable, Comparable, CaseIterable {
    case pass, warn, fail
    private var rank: Int { switch self { case .pass: 0; case .warn: 1; case .fail: 2 } }
    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }
}
