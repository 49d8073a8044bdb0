import Catalog
import Media

extension MediaPolicy {
    /// Checks a probe and, when the silver pass ran, its quality checks against the rules.
    /// QC findings (black, frozen, silent segments, loudness, decode errors …) are carried
    /// over with their timecodes, so the verdict holds every reason.
    public func evaluate(_ probe: ProbeReport, silver: MediaPassResult? = nil) -> PolicyVerdict {
        var findings = containerFindings(probe) + streamFindings(probe) + lengthFindings(probe)
        if let silver { findings += qualityFindings(probe, silver: silver) }
        return PolicyVerdict(findings: findings)
    }

    /// MPEG's 33-bit 90 kHz clock wraps after 26.5 hours: a start far beyond that is no clock reading.
    static let latestPlausibleStartSeconds = 100_000.0

    private static func fail(_ rule: String, _ message: String) -> PolicyFinding {
        PolicyFinding(rule: rule, severity: .fail, message: message)
    }

    /// A container or codec off its house list: rejected under the strict preset, else
    /// accepted with a warning, since the renditions convert it to the ladder's formats.
    private func unlistedFormat(_ rule: String, _ subject: String, houseList: Set<String>) -> PolicyFinding {
        let listed = houseList.sorted().joined(separator: ", ")
        let message = switch preset {
        case .strict: "\(subject) is not accepted (allowed: \(listed))"
        case .standard: "\(subject) is a legacy or uncommon format (house formats: \(listed)); accepted, and the renditions convert it"
        }
        return PolicyFinding(rule: rule, severity: preset.unlistedFormat, message: message)
    }

    private func containerFindings(_ probe: ProbeReport) -> [PolicyFinding] {
        let demuxerNames = Set(probe.container.formatName.split(separator: ",").map(String.init))
        guard !containers.isEmpty, demuxerNames.isDisjoint(with: containers) else { return [] }
        return [unlistedFormat("policy.container", "container \(probe.container.formatName)", houseList: containers)]
    }

    /// Duration and bit rate.
    private func lengthFindings(_ probe: ProbeReport) -> [PolicyFinding] {
        var findings: [PolicyFinding] = []
        if let start = probe.container.startTimeSeconds, abs(start) > Self.latestPlausibleStartSeconds {
            // The declared duration counts from zero, so it is as wrong as the start.
            return [Self.fail("policy.start_time", String(format: "timestamps start at %.0f s (%.0f days in), which no recorder's clock reaches: the file was written with a broken clock or offset; re-mux it so it starts at 0 (ffmpeg -i IN -c copy OUT)", start, start / 86_400))]
        }
        if let duration = probe.container.durationSeconds {
            if duration > maxDurationSeconds {
                findings.append(Self.fail("policy.max_duration", String(format: "duration %.3f s exceeds the maximum %.0f s", duration, maxDurationSeconds)))
            }
        } else {
            findings.append(PolicyFinding(rule: "policy.duration_unknown", severity: .warn, message: "the container does not declare a duration"))
        }
        if minBitRate > 0, let bitRate = probe.container.bitRate, bitRate < minBitRate {
            findings.append(Self.fail("policy.min_bitrate", "bit rate \(bitRate / 1000) kb/s is below the minimum \(minBitRate / 1000) kb/s"))
        }
        return findings
    }

    /// Codecs and picture sizes of every stream, and whether there is video and audio.
    private func streamFindings(_ probe: ProbeReport) -> [PolicyFinding] {
        var findings: [PolicyFinding] = []
        let videos = probe.streams.filter { $0.kind == .video && !$0.isAttachedPicture }
        let audios = probe.streams.filter { $0.kind == .audio }
        if videos.isEmpty {
            findings.append(Self.fail("policy.video_missing", "no video stream: only \(audios.isEmpty ? "non-media" : "audio") streams found"))
        }
        for stream in videos {
            findings += videoFindings(stream)
        }
        for stream in audios where !audioCodecs.isEmpty && !audioCodecs.contains(stream.codecName) {
            findings.append(unlistedFormat("policy.audio_codec", "stream #\(stream.index): audio codec \(stream.codecName)", houseList: audioCodecs))
        }
        if audios.isEmpty, !videos.isEmpty {
            switch audio {
            case .require: findings.append(Self.fail("policy.audio_missing", "no audio stream, and audio is required"))
            case .warn: findings.append(PolicyFinding(rule: "policy.audio_missing", severity: .warn, message: "no audio stream"))
            case .optional: break
            }
        }
        return findings
    }

    private func videoFindings(_ stream: StreamInfo) -> [PolicyFinding] {
        var findings: [PolicyFinding] = []
        if !videoCodecs.isEmpty, !videoCodecs.contains(stream.codecName) {
            findings.append(unlistedFormat("policy.video_codec", "stream #\(stream.index): video codec \(stream.codecName)", houseList: videoCodecs))
        }
        guard let width = stream.width, let height = stream.height else {
            return findings + [Self.fail("policy.resolution_unknown", "stream #\(stream.index): the container does not declare the picture size")]
        }
        if width < minWidth || height < minHeight {
            findings.append(Self.fail("policy.min_resolution", "stream #\(stream.index): \(width)x\(height) is below the minimum \(minWidth)x\(minHeight)"))
        }
        if width > maxWidth || height > maxHeight {
            findings.append(Self.fail("policy.max_resolution", "stream #\(stream.index): \(width)x\(height) is above the maximum \(maxWidth)x\(maxHeight)"))
        }
        return findings
    }

    /// The QC findings with their timecodes, and the shares of black and silence.
    private func qualityFindings(_ probe: ProbeReport, silver: MediaPassResult) -> [PolicyFinding] {
        var findings = silver.qc.findings.map { finding in
            PolicyFinding(rule: finding.kind.rawValue, severity: PolicyFinding.Severity(finding.severity), message: finding.message,
                          startSeconds: finding.start, endSeconds: finding.end)
        }
        guard let duration = probe.container.durationSeconds, duration > 0 else { return findings }
        let black = silver.qc.black.reduce(0) { $0 + $1.duration } / duration
        if black > maxBlackShare {
            findings.append(Self.fail("policy.max_black_share", String(format: "%.0f%% of the video is black (limit %.0f%%)", black * 100, maxBlackShare * 100)))
        }
        let hasAudio = probe.streams.contains { $0.kind == .audio }
        let silent = silver.qc.silence.reduce(0) { $0 + $1.duration } / duration
        if hasAudio, silent > maxSilenceShare {
            findings.append(Self.fail("policy.max_silence_share", String(format: "%.0f%% of the audio is silent (limit %.0f%%)", silent * 100, maxSilenceShare * 100)))
        }
        return findings
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

    /// A finding's name is its `kind` in every JSON document, as in the catalog.
    enum CodingKeys: String, CodingKey {
        case rule = "kind", severity, message, startSeconds = "start_seconds", endSeconds = "end_seconds"
    }

    public init(rule: String, severity: Severity, message: String, startSeconds: Double? = nil, endSeconds: Double? = nil) {
        self.rule = rule
        self.severity = severity
        self.message = message
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
    }

    /// A finding as the catalog holds it.
    public init(recorded finding: QCFindingRecord) {
        self.init(rule: finding.kind, severity: Severity(rawValue: finding.severity) ?? .fail, message: finding.message,
                  startSeconds: finding.startSeconds, endSeconds: finding.endSeconds)
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
