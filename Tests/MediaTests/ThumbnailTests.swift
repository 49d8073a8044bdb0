import Foundation
import Media
import Testing
import VidpipeTestSupport

/// Poster, sprite and storyboard on generated clips, checked with ffprobe and the ffmpeg CLI.
@Suite struct ThumbnailTests {
    private struct ProbedImage: Decodable {
        struct Stream: Decodable {
            var codec_name: String
            var width: Int
            var height: Int
        }
        var streams: [Stream]
    }

    /// The JPEG as ffprobe sees it: codec and dimensions.
    private static func probeImage(_ path: String, in scratch: ScratchDirectory) throws -> (codec: String, width: Int, height: Int) {
        let result = try CommandLineTool.checked(
            "ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "json", path], in: scratch.url)
        let stream = try #require(try JSONDecoder().decode(ProbedImage.self, from: result.stdout).streams.first)
        return (stream.codec_name, stream.width, stream.height)
    }

    /// Mean luma of an image, from the CLI's signalstats.
    private static func meanLuma(_ path: String, in scratch: ScratchDirectory) throws -> Double {
        let result = try CommandLineTool.checked(
            "ffprobe", ["-v", "error", "-f", "lavfi", "-i", "movie=\(path),signalstats",
                        "-show_entries", "frame_tags=lavfi.signalstats.YAVG", "-of", "csv=p=0"], in: scratch.url)
        return try #require(Double(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    private static func encode(_ arguments: [String], _ name: String, in scratch: ScratchDirectory) throws -> String {
        try CommandLineTool.ffmpeg(arguments + ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "ultrafast", name], in: scratch.url)
        return scratch.path(name)
    }

    @Test func posterSkipsBlackOpening() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try Self.encode(["-f", "lavfi", "-i", "color=black:s=320x240:r=25:d=2", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3",
                                    "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0"], "blackOpening.mp4", in: scratch)
        let set = try #require(try Thumbnails.render(path: path, into: scratch.path("out")))
        #expect(set.posterSeconds >= 2)
        #expect(try Self.meanLuma(set.posterPath, in: scratch) > 40)
    }

    @Test func posterSkipsBlurredFirstHalf() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try Self.encode(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=4", "-vf", "boxblur=6:enable='lt(t,2)'"],
                                   "blurredFirstHalf.mp4", in: scratch)
        let set = try #require(try Thumbnails.render(path: path, into: scratch.path("out")))
        #expect(set.posterSeconds >= 2 - 0.04, "poster at \(set.posterSeconds) s is in the blurred half")
    }

    @Test func posterAndSpriteAreJPEGsOfPlannedSize() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try Self.encode(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=5"], "landscape.mp4", in: scratch)
        let set = try #require(try Thumbnails.render(path: path, into: scratch.path("out")))
        #expect(try Self.probeImage(set.posterPath, in: scratch) == ("mjpeg", 320, 240))  // never upscaled
        #expect(set.tileCount == 25 && set.tileWidth == 160 && set.tileHeight == 120)
        #expect(try Self.probeImage(set.spritePath, in: scratch) == ("mjpeg", 800, 600))
    }

    @Test func rotated90PosterIsPortraitAndUpright() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        _ = try Self.encode(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3"], "stored.mp4", in: scratch)
        try CommandLineTool.ffmpeg(["-i", "stored.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=90", "rotated90.mp4"], in: scratch.url)
        let set = try #require(try Thumbnails.render(path: scratch.path("rotated90.mp4"), into: scratch.path("out")))
        #expect(try Self.probeImage(set.posterPath, in: scratch) == ("mjpeg", 240, 320))
        #expect(set.tileWidth == 160 && set.tileHeight == 214)
        #expect(try Self.probeImage(set.spritePath, in: scratch) == ("mjpeg", 800, 5 * 214))

        // Upright the way the ffmpeg CLI autorotates: the same frame, extracted by the CLI, matches.
        try CommandLineTool.ffmpeg(["-i", "rotated90.mp4", "-ss", String(set.posterSeconds), "-frames:v", "1", "reference.png"],
                                   in: scratch.url)
        let comparison = try CommandLineTool.checked(
            "ffmpeg", ["-nostdin", "-hide_banner", "-i", set.posterPath, "-i", "reference.png", "-lavfi", "psnr", "-f", "null", "-"],
            in: scratch.url)
        let psnr = comparison.stderr.range(of: "average:").flatMap { range in
            Double(comparison.stderr[range.upperBound...].prefix { $0.isNumber || $0 == "." })
        }
        #expect((psnr ?? 0) > 25, "PSNR against the CLI's upright frame: \(String(describing: psnr))")
    }

    private struct Cue {
        var start: Int
        var end: Int
        var target: String
        var rect: [Int]
    }

    /// Parses `HH:MM:SS.mmm --> HH:MM:SS.mmm` cues; fails on anything malformed.
    private static func parseVTT(_ text: String) throws -> [Cue] {
        func milliseconds(_ stamp: Substring) throws -> Int {
            let parts = stamp.split(separator: ":")
            try #require(parts.count == 3 && stamp.count == 12, "bad timestamp \(stamp)")
            let secondsParts = parts[2].split(separator: ".")
            let values = [parts[0], parts[1], secondsParts[0], secondsParts[1]].compactMap { Int($0) }
            try #require(values.count == 4)
            return ((values[0] * 60 + values[1]) * 60 + values[2]) * 1000 + values[3]
        }
        let blocks = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        try #require(blocks.first == "WEBVTT")
        return try blocks.dropFirst().map { block in
            let lines = block.split(separator: "\n")
            try #require(lines.count == 2, "cue \(block)")
            let times = lines[0].components(separatedBy: " --> ")
            try #require(times.count == 2)
            let payload = lines[1].split(separator: "#xywh=")
            try #require(payload.count == 2)
            return Cue(start: try milliseconds(Substring(times[0])), end: try milliseconds(Substring(times[1])),
                       target: String(payload[0]), rect: payload[1].split(separator: ",").compactMap { Int($0) })
        }
    }

    @Test(arguments: [(5.0, 25), (0.4, 10)])
    func storyboardCoversDurationContiguously(seconds: Double, expectedTiles: Int) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = try Self.encode(["-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=\(seconds)"], "clip.mp4", in: scratch)
        let set = try #require(try Thumbnails.render(path: path, into: scratch.path("out")))
        let cues = try Self.parseVTT(try String(contentsOfFile: set.storyboardPath, encoding: .utf8))
        let sprite = try Self.probeImage(set.spritePath, in: scratch)
        let duration = try #require(Double(try CommandLineTool.ffprobe(path, in: scratch.url).format.duration ?? ""))

        #expect(set.tileCount == expectedTiles)
        #expect(cues.count == set.tileCount)
        #expect(cues.first?.start == 0)
        #expect(abs(Double(cues.last?.end ?? 0) - duration * 1000) <= 1)
        for (cue, next) in zip(cues, cues.dropFirst()) { #expect(cue.end == next.start && cue.start < cue.end) }
        for cue in cues {
            #expect(cue.target == "sprite.jpg" && cue.rect.count == 4)
            guard cue.rect.count == 4 else { continue }
            #expect(cue.rect[0] >= 0 && cue.rect[1] >= 0 && cue.rect[0] + cue.rect[2] <= sprite.width && cue.rect[1] + cue.rect[3] <= sprite.height)
            #expect(cue.rect[2] == set.tileWidth && cue.rect[3] == set.tileHeight)
        }
    }
}
