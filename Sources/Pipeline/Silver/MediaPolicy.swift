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

    public enum AudioRequirement: String, Sendable, CaseIterable {
        case require, warn, optional
    }

    public static let `default` = MediaPolicy(
        containers: ["mov", "mp4", "matroska", "webm", "mpegts", "avi", "mxf"],
        videoCodecs: ["h264", "hevc", "vp8", "vp9", "av1", "mpeg2video", "mpeg4", "prores", "mjpeg", "dnxhd", "ffv1"],
        audioCodecs: ["aac", "mp3", "mp2", "opus", "vorbis", "ac3", "eac3", "flac", "pcm_s16le", "pcm_s24le"],
        minWidth: 64, minHeight: 64, maxWidth: 7680, maxHeight: 4320,
        maxDurationSeconds: 4 * 3600,
        audio: .warn
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
        ]
    }

    /// Checks a probe against the rules.
    public func evaluate(_ probe: ProbeReport) -> PolicyVerdict {
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
        return PolicyVerdict(findings: findings)
    }
}

/// The outcome of the policy check.
public struct PolicyVerdict: Sendable, Codable, Equatable {
    public var findings: [PolicyFinding]
    /// The worst severity among the findings; `pass` when there are none.
    public var verdict: Verdict { findings.map(\.severity).max() ?? .pass }
}

/// One broken rule.
public struct PolicyFinding: Sendable, Codable, Equatable {
    /// A stable name such as `policy.video_codec`, for counting and filtering.
    public var rule: String
    public var severity: Verdict
    public var message: String
}

/// pass < warn < fail.
public enum Verdict: String, Sendable, Codable, Comparable, CaseIterable {
    case pass, warn, fail
    private var rank: Int { switch self { case .pass: 0; case .warn: 1; case .fail: 2 } }
    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }
}
