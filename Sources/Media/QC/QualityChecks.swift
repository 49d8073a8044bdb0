import Foundation

/// The QC consumers of one decode pass, and the report they add up to.
final class QualityChecks {
    private let options: QCOptions
    private let video: VideoQualityAnalyzer
    private let audio: AudioQualityAnalyzer

    init(options: QCOptions, path: String) {
        self.options = options
        video = VideoQualityAnalyzer(options: options, path: path)
        audio = AudioQualityAnalyzer(options: options, path: path)
    }

    /// What to add to the decode pass: the video and audio checks each on a thread of
    /// their own, so the filters overlap the decode and each other.
    private(set) lazy var consumers: [any FrameConsumer] = [
        ConcurrentConsumer(video, name: "qc-video"), ConcurrentConsumer(audio, name: "qc-audio"),
    ]

    /// The report, once the pass has run to the end.
    func report(decode: DecodeReport) -> QCReport {
        var report = QCReport(decode: QCDecodeSummary(
            errorCount: decode.errorCount, videoFramesDecoded: decode.videoFramesDecoded,
            expectedVideoFrames: decode.expectedVideoFrames, missingVideoFrames: decode.missingVideoFrames,
            isHealthy: decode.isHealthy && !(video.hasVideo && decode.videoFramesDecoded == 0)))
        report.black = video.black
        report.frozen = video.frozen
        report.silence = audio.silence
        report.loudness = audio.loudness
        report.frameRate = video.frameRate
        report.interlace = video.interlace
        if let videoEnd = video.lastFrameEnd, let audioEnd = audio.lastFrameEnd {
            report.timing = QCAudioVideoTiming(videoEnd: videoEnd, audioEnd: audioEnd)
        }
        report.findings = findings(report, decode: decode)
        return report
    }

    private func findings(_ report: QCReport, decode: DecodeReport) -> [QCFinding] {
        var findings: [QCFinding] = []
        func add(_ kind: QCFinding.Kind, _ severity: QCFinding.Severity, _ message: String, _ start: Double? = nil, _ end: Double? = nil) {
            findings.append(QCFinding(kind: kind, severity: severity, message: message, start: start, end: end))
        }
        func span(_ segment: QCSegment) -> String {
            "from \(Self.seconds(segment.start)) to \(Self.seconds(segment.end)) (\(Self.seconds(segment.duration)))"
        }

        for segment in report.black { add(.black, .warn, "black picture \(span(segment))", segment.start, segment.end) }
        for segment in report.frozen { add(.frozen, .warn, "frozen picture \(span(segment))", segment.start, segment.end) }
        for segment in report.silence { add(.silence, .warn, "silence \(span(segment))", segment.start, segment.end) }

        if let loudness = report.loudness {
            let offTarget = abs(loudness.integrated - options.loudnessTarget)
            if offTarget > options.loudnessTolerance {
                add(.loudness, .warn, String(format: "integrated loudness %.1f LUFS is %.1f LU from the %.1f LUFS target (tolerance %.1f LU)",
                                             loudness.integrated, offTarget, options.loudnessTarget, options.loudnessTolerance))
            }
            if let peak = loudness.peak, peak > options.maximumPeak {
                let unit = loudness.peakIsTruePeak ? "dBTP" : "dBFS"
                add(.loudness, .warn, String(format: "peak %.1f ", peak) + unit + String(format: " exceeds the %.1f ", options.maximumPeak) + unit + " limit")
            }
        }

        if let timing = report.timing, abs(timing.difference) > options.maximumAudioVideoMismatch {
            let longer = timing.difference > 0 ? "audio" : "video"
            add(.audioVideoMismatch, .warn,
                "video ends at \(Self.seconds(timing.videoEnd)), audio at \(Self.seconds(timing.audioEnd)): \(longer) runs \(Self.seconds(abs(timing.difference))) longer",
                min(timing.videoEnd, timing.audioEnd), max(timing.videoEnd, timing.audioEnd))
        }

        if let rate = report.frameRate, rate.minimumFrameDuration < 0 {
            // Not a frame rate that varies: the clock itself jumped back, e.g. two recordings
            // joined byte for byte. Durations and timecodes after the jump are unreliable.
            add(.timestampsBackwards, .warn, String(format: "video timestamps jump back by %.3f s at least once: the file was joined from pieces or its clock was reset, so times after the jump are unreliable; re-mux or re-encode it with continuous timestamps",
                                                    -rate.minimumFrameDuration))
        } else if let rate = report.frameRate, rate.variableFrames > 0, rate.vfrRatio > options.maximumVFRRatio {
            add(.variableFrameRate, .warn, String(format: "variable frame rate: VFR ratio %.3f (%d of %d frame durations change), durations %.4f–%.4f s",
                                                  rate.vfrRatio, rate.variableFrames, rate.variableFrames + rate.constantFrames,
                                                  rate.minimumFrameDuration, rate.maximumFrameDuration))
        }

        if let interlace = report.interlace,
           interlace.codedInterlacedFrames * 2 > Int(decode.videoFramesDecoded)
            // idet alone needs many frames: on a short clip a few sharp moving edges look like fields.
            || (interlace.classifiedFrames >= 100 && interlace.dominantFieldOrderShare >= options.interlacedMinShare) {
            let order = interlace.topFieldFirst >= interlace.bottomFieldFirst ? "top field first" : "bottom field first"
            add(.interlaced, .warn, "interlaced picture, \(order) (idet: TFF \(interlace.topFieldFirst), BFF \(interlace.bottomFieldFirst), "
                + "progressive \(interlace.progressive), undetermined \(interlace.undetermined); \(interlace.codedInterlacedFrames) frames coded interlaced)")
        }

        return findings + decodeFindings(decode)
    }

    /// Decode errors, missing frames, and analyzers that could not finish.
    private func decodeFindings(_ decode: DecodeReport) -> [QCFinding] {
        var findings: [QCFinding] = []
        if decode.errorCount > 0 {
            let first = decode.issues.first
            let at = first?.seconds.map { " first at \(Self.seconds($0)) (\(first?.stream ?? "")): \(first?.message ?? "")" } ?? ""
            findings.append(QCFinding(kind: .decodeErrors, severity: .fail, message: "\(decode.errorCount) decode error(s);\(at)",
                                      start: first?.seconds, end: decode.issues.last?.seconds))
        }
        if video.hasVideo && decode.videoFramesDecoded == 0 {
            findings.append(QCFinding(kind: .truncated, severity: .fail, message: "the file declares a video stream but no video frame decoded"))
        } else if decode.missingVideoFrames > 1, let expected = decode.expectedVideoFrames {
            findings.append(QCFinding(kind: .truncated, severity: .fail,
                                      message: "\(decode.videoFramesDecoded) of \(expected) video frames decoded: the file ends early or lost data",
                                      start: decode.lastVideoSeconds))
        }
        findings += [video.incompleteReason, audio.incompleteReason].compactMap { $0 }.map {
            QCFinding(kind: .analysisIncomplete, severity: .warn, message: $0)
        }
        return findings
    }

    private static func seconds(_ value: Double) -> String { String(format: "%.3f s", value) }
}
