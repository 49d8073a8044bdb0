import Foundation
import Media
import Testing
import VidpipeTestSupport

/// Enrichment on generated clips, checked against planted structure and the ffmpeg CLI.
@Suite struct EnrichmentTests {
    /// 320x240 at 25 fps: testsrc2, mandelbrot and smptebars, 2 s each, cut at 2 s and 4 s.
    static func threeSourceConcat(in scratch: ScratchDirectory) throws -> String {
        let sources = ["testsrc2=s=320x240:r=25", "mandelbrot=s=320x240:r=25", "smptebars=s=320x240:r=25"]
        try CommandLineTool.ffmpeg(
            sources.flatMap { ["-t", "2", "-f", "lavfi", "-i", $0] }
                + ["-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p",
                   "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "concat.mp4"],
            in: scratch.url)
        return scratch.path("concat.mp4")
    }

    @Test func sceneCutsAtPlantedConcatenationPoints() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try Self.threeSourceConcat(in: scratch)

        let cuts = try Enrichment.analyze(path: path).sceneCuts
        let frame = 1.0 / 25
        #expect(cuts.count == 2, "\(cuts)")
        for (cut, planted) in zip(cuts, [2.0, 4.0]) {
            #expect(abs(cut.seconds - planted) <= frame + 1e-6, "cut at \(cut.seconds), planted at \(planted)")
            #expect(abs(cut.frameIndex - Int(planted * 25)) <= 1)
            #expect(cut.score >= 10 && cut.score <= 100)
        }
        let oracle = try CLIQualityReport.sceneCutTimes(path, in: scratch.url)
        #expect(oracle.count == cuts.count, "scdet found \(oracle)")
        for (cut, time) in zip(cuts, oracle) { #expect(abs(cut.seconds - time) <= frame + 1e-6) }
    }

    // Not `life`: its per-pixel churn makes even the CLI's full-resolution scdet fire.
    @Test(arguments: ["testsrc2=s=320x240:r=25", "mandelbrot=s=320x240:r=25", "gradients=s=320x240:r=25:speed=0.05"])
    func continuousClipHasNoCuts(source: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-t", "6", "-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p",
                                    "-c:v", "libx264", "-preset", "ultrafast", "clean.mp4"], in: scratch.url)
        let path = scratch.path("clean.mp4")
        #expect(try Enrichment.analyze(path: path).sceneCuts.isEmpty)
        #expect(try CLIQualityReport.sceneCutTimes(path, in: scratch.url).isEmpty)
    }

    private struct FFprobePackets: Decodable {
        struct Packet: Decodable {
            var size: String
            var flags: String
        }
        var packets: [Packet]
    }

    private static func probePackets(_ path: String, stream: String, in scratch: ScratchDirectory) throws -> [FFprobePackets.Packet] {
        let result = try CommandLineTool.run(
            "ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries", "packet=size,flags", "-of", "json", path],
            in: scratch.url)
        return try JSONDecoder().decode(FFprobePackets.self, from: result.stdout).packets
    }

    @Test func gopStatisticsAndBitrateMatchFFprobe() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(
            ["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=10", "-f", "lavfi", "-i", "sine=f=440:d=10",
             "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
             "-c:a", "aac", "-b:a", "96k", "gop.mp4"],
            in: scratch.url)
        let path = scratch.path("gop.mp4")
        let report = try Enrichment.analyze(path: path)

        let video = try Self.probePackets(path, stream: "v:0", in: scratch)
        let audio = try Self.probePackets(path, stream: "a:0", in: scratch)
        let keyframes = video.filter { $0.flags.hasPrefix("K") }.count
        #expect(keyframes == 10)
        #expect(report.gop.keyframeCount == keyframes)
        #expect(report.gop.videoPacketCount == video.count)
        #expect(report.gop.minFrames == 25 && report.gop.maxFrames == 25 && report.gop.meanFrames == 25)
        #expect(abs(report.gop.meanSeconds - 1) < 1e-6 && abs(report.gop.minSeconds - 1) < 1e-6)

        let videoBytes = video.compactMap { Int64($0.size) }.reduce(0, +)
        let audioBytes = audio.compactMap { Int64($0.size) }.reduce(0, +)
        #expect(report.bitrate.videoBytes == videoBytes)
        #expect(report.bitrate.audioBytes == audioBytes)
        #expect((10...11).contains(report.bitrate.videoKbps.count))
        let profiledBytes: Double = report.bitrate.videoKbps.reduce(0, +) * 125
        #expect(abs(profiledBytes - Double(videoBytes)) < 1)
        // AAC at 96k: every whole second of the profile is near the target rate.
        for kbps in report.bitrate.audioKbps.dropLast() { #expect(kbps > 60 && kbps < 140, "\(report.bitrate.audioKbps)") }
    }

    @Test func fingerprintHexAndJSONRoundTrip() throws {
        let fingerprint = VideoFingerprint(hashes: [0, 1, 0xDEAD_BEEF_0123_4567, .max], secondsPerHash: 1)
        #expect(fingerprint.hexString == "0000000000000000" + "0000000000000001" + "deadbeef01234567" + "ffffffffffffffff")
        #expect(VideoFingerprint(hexString: fingerprint.hexString) == fingerprint)
        #expect(VideoFingerprint(hexString: "abc") == nil)
        let json = try JSONEncoder().encode(fingerprint)
        #expect(try JSONDecoder().decode(VideoFingerprint.self, from: json) == fingerprint)
        #expect(fingerprint.distance(to: fingerprint) == 0)
        #expect(fingerprint.distance(to: VideoFingerprint(hashes: [])) == 1)
    }

    /// Unrelated content: lavfi sources that share no structure with each other or the query.
    static let unrelatedSources = [
        "mandelbrot=s=640x360:r=25", "smptebars=s=640x360:r=25", "life=s=640x360:r=25:mold=10:ratio=0.1",
        "cellauto=s=640x360:r=25:rule=110", "gradients=s=640x360:r=25:speed=0.05",
        "color=c=0x3060a0:s=640x360:r=25,noise=alls=40:allf=t+u",
    ]

    @Test(arguments: ["testsrc2", "mandelbrot"])
    func reencodedDownscaledCopyRanksFirst(query: String) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-t", "8", "-f", "lavfi", "-i", "\(query)=s=1280x720:r=25", "-pix_fmt", "yuv420p",
                                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "original.mp4"], in: scratch.url)
        // Same content: 360p in another codec at a much lower bit rate, and a 360p copy missing its first 2 s.
        try CommandLineTool.ffmpeg(["-i", "original.mp4", "-vf", "scale=640:360", "-c:v", "mpeg4", "-b:v", "300k", "copy.mp4"],
                                   in: scratch.url)
        try CommandLineTool.ffmpeg(["-ss", "2", "-i", "original.mp4", "-vf", "scale=640:360", "-c:v", "libx264", "-preset", "ultrafast",
                                    "-crf", "30", "trimmed.mp4"], in: scratch.url)
        for (index, source) in Self.unrelatedSources.enumerated() where !source.hasPrefix(query) {
            try CommandLineTool.ffmpeg(["-t", "8", "-f", "lavfi", "-i", source, "-pix_fmt", "yuv420p",
                                        "-c:v", "libx264", "-preset", "ultrafast", "unrelated\(index).mp4"], in: scratch.url)
        }

        func fingerprint(_ name: String) throws -> VideoFingerprint {
            try #require(try Enrichment.analyze(path: scratch.path(name)).fingerprint)
        }
        let original = try fingerprint("original.mp4")
        #expect(original.hashes.count == 8)
        let copyDistance = original.distance(to: try fingerprint("copy.mp4"))
        let trimmedDistance = original.distance(to: try fingerprint("trimmed.mp4"))
        var unrelated: [String: Double] = [:]
        for (index, source) in Self.unrelatedSources.enumerated() where !source.hasPrefix(query) {
            unrelated[source] = original.distance(to: try fingerprint("unrelated\(index).mp4"))
        }
        print("fingerprint \(query): copy \(copyDistance), trimmed \(trimmedDistance), unrelated \(unrelated)")

        #expect(copyDistance <= VideoFingerprint.matchThreshold)
        #expect(trimmedDistance <= VideoFingerprint.matchThreshold)
        for (source, distance) in unrelated {
            #expect(distance > copyDistance, "\(source) ranks above the copy")
            #expect(distance > VideoFingerprint.matchThreshold, "\(source) is within the match threshold: \(distance)")
        }
    }
}
