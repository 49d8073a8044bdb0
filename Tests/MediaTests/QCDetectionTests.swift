import Foundation
import Media
import Testing
import VidpipeTestSupport

/// Planted defects are found where they were planted, and where the ffmpeg CLI's filters
/// find them on the same file; clean clips give no findings.
@Suite struct QCDetectionTests {
    /// testsrc2 3 s | black 2.5 s | testsrc2 2 s then its last picture held 2.5 s | testsrc2 2 s,
    /// with sine 3 s | digital silence 3 s | sine 6.5 s.
    @Test func plantedBlackFrozenAndSilentSegmentsAreFoundWhereThePlantsAre() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3",
            "-f", "lavfi", "-i", "color=black:s=320x240:r=30:d=2.5",
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2,tpad=stop_mode=clone:stop_duration=2.5",
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2",
            "-f", "lavfi", "-i", "sine=f=440:d=3", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono:d=3",
            "-f", "lavfi", "-i", "sine=f=440:d=6.5",
            "-filter_complex", "[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0,format=yuv420p[v];[4:a][5:a][6:a]concat=n=3:v=0:a=1[a]",
            "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-g", "600", "-c:a", "aac",
            "defects.mp4",
        ], in: scratch.url)
        let path = scratch.path("defects.mp4")

        let result = try await MediaPass.run(path: path, qc: QCOptions())
        let qc = result.qc

        // From the plan: black is frames 90..164; the held picture is frame 224 (7.467 s),
        // shown until section four starts at 10 s. Black pictures are also frozen ones.
        #expect(segmentsMatch(qc.black, [(3.0, 5.5)], within: videoFrame), "\(qc.black)")
        #expect(segmentsMatch(qc.frozen, [(3.0, 5.5), (224.0 / 30, 10.0)], within: videoFrame), "\(qc.frozen)")
        #expect(segmentsMatch(qc.silence, [(3.0, 6.0)], within: audioTolerance), "\(qc.silence)")

        let cli = try CLIQualityReport.measure(path, in: scratch.url)
        #expect(segmentsMatch(qc.black, cli.black.map { ($0.start, $0.end ?? .nan) }, within: videoFrame), "CLI: \(cli.black)")
        #expect(segmentsMatch(qc.frozen, cli.frozen.map { ($0.start, $0.end ?? .nan) }, within: videoFrame), "CLI: \(cli.frozen)")
        #expect(segmentsMatch(qc.silence, cli.silence.map { ($0.start, $0.end ?? .nan) }, within: audioTolerance), "CLI: \(cli.silence)")
        #expect(isClose(qc.loudness?.integrated, cli.integrated, within: 0.5), "\(String(describing: qc.loudness)) vs CLI I \(String(describing: cli.integrated))")

        #expect(qc.findings.filter { $0.kind.rawValue == "qc.black" }.map(\.start) == qc.black.map(\.start))
        #expect(qc.findingKinds.isSuperset(of: ["qc.black", "qc.frozen", "qc.silence"]))
        #expect(!qc.findingKinds.contains("qc.decode_errors") && !qc.findingKinds.contains("qc.truncated"))
        #expect(result.decode.isHealthy)
    }

    /// Runs still open at the end of the file end where the last picture / sample ends.
    /// The CLI agrees for silence; blackdetect ends its run at the last frame's *start*.
    @Test func segmentsOpenAtTheEndCloseAtTheLastFrameEnd() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", "-f", "lavfi", "-i", "color=black:s=320x240:r=30:d=3",
            "-f", "lavfi", "-i", "sine=d=2:sample_rate=48000", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono:d=3",
            "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v];[2:a][3:a]concat=n=2:v=0:a=1[a]",
            "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_s16le", "tail.mkv",
        ], in: scratch.url)
        let path = scratch.path("tail.mkv")
        let qc = try MediaPass.run(path: path, qc: QCOptions()).qc

        #expect(segmentsMatch(qc.black, [(2.0, 5.0)], within: videoFrame), "\(qc.black)")
        #expect(segmentsMatch(qc.frozen, [(2.0, 5.0)], within: videoFrame), "\(qc.frozen)")
        #expect(segmentsMatch(qc.silence, [(2.0, 5.0)], within: audioTolerance), "\(qc.silence)")

        let cli = try CLIQualityReport.measure(path, in: scratch.url)
        #expect(segmentsMatch(qc.black, cli.black.map { ($0.start, $0.end ?? .nan) }, within: videoFrame), "CLI: \(cli.black)")
        #expect(segmentsMatch(qc.silence, cli.silence.map { ($0.start, $0.end ?? .nan) }, within: audioTolerance), "CLI: \(cli.silence)")
        // freezedetect never closes a run at the end of the stream.
        #expect(cli.frozen.count == 1 && isClose(cli.frozen.first?.start, qc.frozen.first?.start, within: videoFrame))
    }

    /// blackdetect's threshold, truncated to an integer luma: 37 in limited range. A
    /// picture exactly at it is black, one level above is not, the same as the CLI says.
    @Test func blackThresholdMatchesBlackdetectToTheLumaLevel() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        func flat(_ luma: Int) -> String { "color=black:s=320x240:r=30:d=2.5,format=yuv420p,geq=lum=\(luma):cb=128:cr=128" }
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", "-f", "lavfi", "-i", flat(37),
            "-f", "lavfi", "-i", flat(38), "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1",
            "-filter_complex", "[0:v][1:v][2:v][3:v]concat=n=4:v=1:a=0,format=yuv420p[v]",
            // Lossless, so the planted luma levels reach the decoder unchanged.
            "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "levels.mkv",
        ], in: scratch.url)
        let path = scratch.path("levels.mkv")
        let qc = try MediaPass.run(path: path, qc: QCOptions()).qc
        #expect(segmentsMatch(qc.black, [(2.0, 4.5)], within: videoFrame), "\(qc.black)")
        let cli = try CLIQualityReport.measure(path, audio: false, in: scratch.url)
        #expect(segmentsMatch(qc.black, cli.black.map { ($0.start, $0.end ?? .nan) }, within: videoFrame), "CLI: \(cli.black)")
    }

    @Test func cleanClipHasNoFindings() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=5", "-f", "lavfi", "-i", "sine=f=440:d=5",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "clean.mp4",
        ], in: scratch.url)
        let path = scratch.path("clean.mp4")
        let result = try MediaPass.run(path: path, qc: QCOptions())
        let qc = result.qc

        #expect(qc.findings.isEmpty, "\(qc.findings)")
        #expect(qc.black.isEmpty && qc.frozen.isEmpty && qc.silence.isEmpty)
        #expect(qc.frameRate?.variableFrames == 0)
        #expect(qc.frameRate.map { isClose($0.minimumFrameDuration, 1.0 / 30, within: 1e-4) } == true)
        // idet reads testsrc2's busy pattern as mostly TFF, but not as unanimously as real fields.
        #expect(qc.interlace.map { $0.dominantFieldOrderShare < 0.95 && $0.codedInterlacedFrames == 0 } == true, "\(String(describing: qc.interlace))")
        #expect(isClose(qc.timing?.difference, 0, within: 0.05))
        #expect(result.decode.videoFramesDecoded == 150 && result.decode.isHealthy)
        #expect(qc.decode.isHealthy)

        let cli = try CLIQualityReport.measure(path, in: scratch.url)
        #expect(cli.black.isEmpty && cli.frozen.isEmpty && cli.silence.isEmpty)
    }

    /// A quiet constant tone and a loud one that steps up halfway (so the range is not 0).
    @Test(arguments: [
        ("quiet", "sine=f=1000:d=6,volume=-24dB"),
        ("loud", "sine=f=500:d=8,volume='if(lt(t,4),0.5,8)':eval=frame"),
    ])
    func loudnessMatchesEbur128(name: String, source: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", source, "-ac", "2", "-c:a", "aac", "-b:a", "192k", "\(name).m4a"], in: scratch.url)
        let path = scratch.path("\(name).m4a")
        let qc = try MediaPass.run(path: path, qc: QCOptions()).qc
        let cli = try CLIQualityReport.measure(path, video: false, in: scratch.url)
        let loudness = try #require(qc.loudness)

        #expect(isClose(loudness.integrated, cli.integrated, within: 0.5), "I \(loudness.integrated) vs CLI \(String(describing: cli.integrated))")
        // The CLI prints one decimal; LRA "close" is within 1 LU.
        #expect(isClose(loudness.range, cli.range, within: 1.0), "LRA \(loudness.range) vs CLI \(String(describing: cli.range))")
        #expect(isClose(loudness.peak, cli.peak, within: 0.5), "peak \(String(describing: loudness.peak)) vs CLI \(String(describing: cli.peak))")
        #expect(loudness.peakIsTruePeak)
        #expect(qc.frameRate == nil && qc.interlace == nil && qc.timing == nil)
        if name == "quiet" {
            #expect(qc.findings.contains { $0.kind.rawValue == "qc.loudness" && $0.message.contains("LUFS") })
        } else {
            #expect(loudness.range > 5)
            // The stereo downmix peaks near -3 dBTP: within the -1 dBTP default, over a -6 limit.
            #expect(!qc.findings.contains { $0.message.contains("dBTP") })
            var strict = QCOptions()
            strict.maximumPeak = -6
            #expect(try MediaPass.run(path: path, qc: strict).qc.findings.contains { $0.kind.rawValue == "qc.loudness" && $0.message.contains("dBTP") })
        }
    }

    /// Two of every three frames kept: durations alternate 33 / 67 ms, vfrdet's ratio is near 1.
    @Test func variableFrameRateIsFlaggedConstantIsNot() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3,select='not(eq(mod(n,3),2))'",
            "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast", "vfr.mp4",
        ], in: scratch.url)
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3", "-c:v", "libx264", "-preset", "ultrafast", "cfr.mp4"], in: scratch.url)

        let vfr = try MediaPass.run(path: scratch.path("vfr.mp4"), qc: QCOptions()).qc
        let rate = try #require(vfr.frameRate)
        #expect(rate.vfrRatio > 0.9, "\(rate)")
        #expect(vfr.findingKinds.contains("qc.vfr"))

        let cfr = try MediaPass.run(path: scratch.path("cfr.mp4"), qc: QCOptions()).qc
        #expect(cfr.frameRate?.vfrRatio == 0)
        #expect(!cfr.findingKinds.contains("qc.vfr"))
    }

    @Test func interlacedMpeg2IsHintedInterlaced() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // interleave_top weaves two moving frames into one: real field motion, top first.
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=720x576:r=50:d=4,tinterlace=mode=interleave_top",
            "-c:v", "mpeg2video", "-flags", "+ildct+ilme", "-top", "1", "-b:v", "8M", "interlaced.ts",
        ], in: scratch.url)
        let qc = try MediaPass.run(path: scratch.path("interlaced.ts"), qc: QCOptions()).qc
        let interlace = try #require(qc.interlace)
        #expect(interlace.topFieldFirst > interlace.progressive + interlace.bottomFieldFirst, "\(interlace)")
        #expect(interlace.codedInterlacedFrames == 100)
        #expect(qc.findings.contains { $0.kind.rawValue == "qc.interlaced" && $0.message.contains("top field first") })
    }

    @Test func twoSecondsOfVideoWithFourOfAudioIsAMismatch() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", "-f", "lavfi", "-i", "sine=d=4",
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "mismatch.mp4",
        ], in: scratch.url)
        let qc = try MediaPass.run(path: scratch.path("mismatch.mp4"), qc: QCOptions()).qc
        let timing = try #require(qc.timing)
        #expect(isClose(timing.videoEnd, 2.0, within: videoFrame))
        #expect(isClose(timing.audioEnd, 4.0, within: audioTolerance))
        let finding = try #require(qc.findings.first { $0.kind.rawValue == "qc.av_mismatch" })
        #expect(finding.message.contains("audio runs"))
        #expect(isClose(finding.start, 2.0, within: videoFrame) && isClose(finding.end, 4.0, within: audioTolerance))

        var lenient = QCOptions()
        lenient.maximumAudioVideoMismatch = 3
        #expect(try !MediaPass.run(path: scratch.path("mismatch.mp4"), qc: lenient).qc.findingKinds.contains("qc.av_mismatch"))
    }

    @Test func thresholdsComeFromOptions() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", "-f", "lavfi", "-i", "color=black:s=320x240:r=30:d=1.5",
            "-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2",
            "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast", "short.mp4",
        ], in: scratch.url)
        let path = scratch.path("short.mp4")
        // 1.5 s of black is below blackdetect's 2 s default...
        #expect(try MediaPass.run(path: path, qc: QCOptions()).qc.black.isEmpty)
        // ...and found with a 1 s minimum.
        var options = QCOptions()
        options.blackMinDuration = 1
        options.freezeMinDuration = 1
        let qc = try MediaPass.run(path: path, qc: options).qc
        #expect(segmentsMatch(qc.black, [(2.0, 3.5)], within: videoFrame), "\(qc.black)")
        #expect(segmentsMatch(qc.frozen, [(2.0, 3.5)], within: videoFrame), "\(qc.frozen)")
    }

    @Test func reportRoundTripsThroughJSON() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "color=black:s=160x120:r=25:d=3", "-f", "lavfi", "-i", "anullsrc=d=3",
                                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", "black.mp4"], in: scratch.url)
        let result = try MediaPass.run(path: scratch.path("black.mp4"), qc: QCOptions())
        // Digital silence has a peak of minus infinity, which JSON cannot hold: it is nil.
        #expect(result.qc.loudness?.peak == nil)
        let data = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(MediaPassResult.self, from: data) == result)
        #expect(String(decoding: data, as: UTF8.self).contains("\"qc.black\""))
    }
}
