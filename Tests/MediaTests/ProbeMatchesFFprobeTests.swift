import Execution
import Foundation
import Media
import Testing
import VidpipeTestSupport

/// One kind of clip, made at test time by the ffmpeg CLI in a scratch directory.
struct ClipVariant: Sendable, CustomTestStringConvertible {
    /// The property a clip exists to exercise; the test first checks that the oracle sees it,
    /// so a fixture that silently lost it (say, an ffmpeg that drops `rotate`) fails loudly.
    enum Trait: Sendable {
        case videoAndAudio, rotated, variableFrameRate, interlaced, audioOnly, videoOnly, oddDimensions, highBitDepth
    }

    var name: String
    var fileName: String
    var trait: Trait
    /// ffmpeg argument lists run in order; the last one writes `fileName`.
    var ffmpegRuns: [[String]]
    var testDescription: String { name }

    func oracleShowsTrait(_ oracle: FFprobeOutput) -> Bool {
        let streams = oracle.streams ?? []
        let video = streams.first { $0.codecType == "video" }
        let hasAudio = streams.contains { $0.codecType == "audio" }
        switch trait {
        case .videoAndAudio: return video != nil && hasAudio
        case .rotated: return video?.sideDataList?.contains { $0.rotation.map { $0 != 0 } ?? false } ?? false
        case .variableFrameRate: return video.map { $0.avgFrameRate != $0.rFrameRate } ?? false
        case .interlaced: return video.map { $0.fieldOrder != nil && $0.fieldOrder != "progressive" } ?? false
        case .audioOnly: return video == nil && hasAudio
        case .videoOnly: return video != nil && !hasAudio
        case .oddDimensions: return video.map { ($0.width ?? 0) % 2 == 1 && ($0.height ?? 0) % 2 == 1 } ?? false
        case .highBitDepth: return video?.pixFmt?.contains("10") ?? false
        }
    }
}

private let video = ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1"]
private let tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1"]
private let x264 = ["-c:v", "libx264", "-preset", "ultrafast"]

let clipVariants: [ClipVariant] = [
    ClipVariant(name: "h264AacMp4", fileName: "h264_aac.mp4", trait: .videoAndAudio, ffmpegRuns: [
        video + tone + x264 + ["-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "h264_aac.mp4"],
    ]),
    ClipVariant(name: "hevc10BitMkv", fileName: "hevc.mkv", trait: .highBitDepth, ffmpegRuns: [
        video + ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
                 "-pix_fmt", "yuv420p10le", "hevc.mkv"],
    ]),
    ClipVariant(name: "vp9OpusWebm", fileName: "vp9_opus.webm", trait: .videoAndAudio, ffmpegRuns: [
        video + tone + ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k",
                        "-c:a", "libopus", "vp9_opus.webm"],
    ]),
    ClipVariant(name: "mpeg2Mp2Ts", fileName: "mpeg2.ts", trait: .videoAndAudio, ffmpegRuns: [
        video + tone + ["-c:v", "mpeg2video", "-c:a", "mp2", "mpeg2.ts"],
    ]),
    ClipVariant(name: "interlacedTopFieldFirstMpeg2Ts", fileName: "interlaced.ts", trait: .interlaced, ffmpegRuns: [
        video + ["-c:v", "mpeg2video", "-flags", "+ilme+ildct", "-top", "1", "interlaced.ts"],
    ]),
    ClipVariant(name: "mjpegPcmAvi", fileName: "mjpeg.avi", trait: .videoAndAudio, ffmpegRuns: [
        video + tone + ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-c:a", "pcm_s16le", "-shortest", "mjpeg.avi"],
    ]),
    ClipVariant(name: "rotated90Mp4", fileName: "rotated.mp4", trait: .rotated, ffmpegRuns: [
        video + x264 + ["upright.mp4"],
        ["-i", "upright.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=90", "rotated.mp4"],
    ]),
    ClipVariant(name: "variableFrameRateMp4", fileName: "vfr.mp4", trait: .variableFrameRate, ffmpegRuns: [
        // 1 s at 30 fps then 1 s at 10 fps, timestamps kept as they are.
        ["-filter_complex", "testsrc2=s=320x240:r=30:d=1[a];testsrc2=s=320x240:r=10:d=1[b];[a][b]concat=n=2:v=1:a=0"]
            + ["-fps_mode", "vfr"] + x264 + ["vfr.mp4"],
    ]),
    ClipVariant(name: "audioOnlyAacM4a", fileName: "audio.m4a", trait: .audioOnly, ffmpegRuns: [
        tone + ["-c:a", "aac", "audio.m4a"],
    ]),
    ClipVariant(name: "videoOnlyH264Mov", fileName: "video.mov", trait: .videoOnly, ffmpegRuns: [
        video + x264 + ["video.mov"],
    ]),
    ClipVariant(name: "oddDimensions321x241Yuv444Mp4", fileName: "odd.mp4", trait: .oddDimensions, ffmpegRuns: [
        // testsrc2 rounds its size to even numbers, so scale afterwards.
        video + ["-vf", "scale=321:241"] + x264 + ["-pix_fmt", "yuv444p", "odd.mp4"],
    ]),
]

/// The in-process probe against ffprobe on the same file: ffprobe is the oracle for every field.
@Suite struct ProbeMatchesFFprobeTests {
    @Test(arguments: clipVariants)
    func probeAgreesWithFFprobe(_ variant: ClipVariant) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        for run in variant.ffmpegRuns {
            try CommandLineTool.ffmpeg(run, in: scratch.url)
        }
        let path = scratch.path(variant.fileName)
        let oracle = try CommandLineTool.ffprobe(path, in: scratch.url)
        #expect(variant.oracleShowsTrait(oracle), "ffprobe does not show the \(variant.trait) this clip is for")
        let report = try MediaProbe.probe(path: path)

        let format = oracle.format
        #expect(report.container.formatName == format.formatName)
        #expect(report.container.formatLongName == format.formatLongName)
        expectSeconds(report.container.durationSeconds, format.duration, "format duration")
        expectSeconds(report.container.startTimeSeconds, format.startTime, "format start_time")
        #expect(report.container.sizeBytes == format.size.flatMap { Int64($0) })
        #expect(report.container.bitRate == format.bitRate.flatMap { Int64($0) })
        #expect(report.container.tags == (format.tags ?? [:]))

        let oracleStreams = oracle.streams ?? []
        #expect(report.streams.count == format.nbStreams)
        #expect(report.streams.map(\.kind.rawValue) == oracleStreams.map { $0.codecType ?? "unknown" })
        for (ours, theirs) in zip(report.streams, oracleStreams) {
            compare(ours, theirs)
        }
    }

    private func compare(_ ours: StreamInfo, _ theirs: FFprobeOutput.Stream) {
        let label = "stream \(theirs.index)"
        #expect(ours.index == theirs.index)
        #expect(ours.codecName == theirs.codecName, "\(label) codec_name")
        #expect(ours.codecLongName == theirs.codecLongName, "\(label) codec_long_name")
        // ffprobe prints a number for profiles without a name; we report only names.
        if let profile = theirs.profile, Int(profile) == nil {
            #expect(ours.profile == profile, "\(label) profile")
        } else {
            #expect(ours.profile == nil, "\(label) profile")
        }
        #expect(ours.timeBase == theirs.timeBase.flatMap { Rational(parsing: $0) }, "\(label) time_base")
        expectSeconds(ours.durationSeconds, theirs.duration, "\(label) duration")
        expectSeconds(ours.startTimeSeconds, theirs.startTime, "\(label) start_time")
        #expect(ours.bitRate == theirs.bitRate.flatMap { Int64($0) }, "\(label) bit_rate")
        #expect(ours.frameCount == theirs.nbFrames.flatMap { Int64($0) }.flatMap { $0 > 0 ? $0 : nil }, "\(label) nb_frames")
        #expect(ours.bitsPerRawSample == theirs.bitsPerRawSample.flatMap { Int($0) }, "\(label) bits_per_raw_sample")
        #expect(ours.tags == (theirs.tags ?? [:]), "\(label) tags")
        #expect(ours.language == theirs.tags?["language"], "\(label) language")

        switch ours.kind {
        case .video:
            #expect(ours.width == theirs.width, "\(label) width")
            #expect(ours.height == theirs.height, "\(label) height")
            #expect(ours.pixelFormat == theirs.pixFmt, "\(label) pix_fmt")
            #expect(ours.level == theirs.level.flatMap { $0 == -99 ? nil : $0 }, "\(label) level")
            #expect(ours.fieldOrder == theirs.fieldOrder, "\(label) field_order")
            #expect(ours.realFrameRate == knownRate(theirs.rFrameRate), "\(label) r_frame_rate")
            #expect(ours.averageFrameRate == knownRate(theirs.avgFrameRate), "\(label) avg_frame_rate")
            #expect(ours.sampleAspectRatio == theirs.sampleAspectRatio.flatMap { Rational(parsing: $0) }, "\(label) SAR")
            #expect(ours.displayAspectRatio == theirs.displayAspectRatio.flatMap { Rational(parsing: $0) }, "\(label) DAR")
            #expect(ours.colorRange == theirs.colorRange, "\(label) color_range")
            #expect(ours.colorSpace == theirs.colorSpace, "\(label) color_space")
            #expect(ours.colorTransfer == theirs.colorTransfer, "\(label) color_transfer")
            #expect(ours.colorPrimaries == theirs.colorPrimaries, "\(label) color_primaries")
            if let pixFmt = theirs.pixFmt {
                // ffprobe has no bit-depth field; the pixel format name carries it.
                let expectedDepth = pixFmt.contains("10") ? 10 : pixFmt.contains("12") ? 12 : 8
                #expect(ours.bitDepth == expectedDepth, "\(label) bit depth of \(pixFmt)")
            }
            let oracleRotation = theirs.sideDataList?.compactMap(\.rotation).first
            if let oracleRotation {
                // ffprobe prints the rotation truncated to an integer.
                #expect(ours.rotationDegrees.map { abs($0 - oracleRotation) < 1 } == true, "\(label) rotation \(String(describing: ours.rotationDegrees)) vs \(oracleRotation)")
            } else {
                #expect(ours.rotationDegrees == nil, "\(label) rotation")
            }
        case .audio:
            #expect(ours.sampleRate == theirs.sampleRate.flatMap { Int($0) }, "\(label) sample_rate")
            #expect(ours.channels == theirs.channels, "\(label) channels")
            #expect(ours.channelLayout == theirs.channelLayout, "\(label) channel_layout")
            #expect(ours.sampleFormat == theirs.sampleFmt, "\(label) sample_fmt")
        default:
            break
        }
    }

    /// ffprobe prints unknown rates as "0/0"; the probe reports those as nil.
    private func knownRate(_ text: String?) -> Rational? {
        guard let rate = text.flatMap({ Rational(parsing: $0) }), rate.denominator != 0 else { return nil }
        return rate
    }

    private func expectSeconds(
        _ ours: Double?, _ theirs: String?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        switch (ours, theirs.flatMap { Double($0) }) {
        case (nil, nil):
            break
        case let (ours?, theirs?):
            #expect(abs(ours - theirs) <= 0.001, "\(what): \(ours) vs ffprobe \(theirs)", sourceLocation: sourceLocation)
        default:
            Issue.record("\(what): \(String(describing: ours)) vs ffprobe \(String(describing: theirs))", sourceLocation: sourceLocation)
        }
    }
}

/// Probes share no state: many at once on separate threads give identical reports.
@Suite struct ConcurrentProbeTests {
    @Test func concurrentProbesOfOneFileAgree() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(video + tone + x264 + ["-c:a", "aac", "-shortest", "clip.mp4"], in: scratch.url)
        let path = scratch.path("clip.mp4")
        let expected = try MediaProbe.probe(path: path)
        let reports = try await withThrowingTaskGroup(of: ProbeReport.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await DedicatedThread.run(name: "test-probe") { () throws(MediaError) in try MediaProbe.probe(path: path) }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.count == 8)
        #expect(reports.allSatisfy { $0 == expected })
    }
}
