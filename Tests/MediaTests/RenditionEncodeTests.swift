import Foundation
import Testing
import VidpipeTestSupport
@testable import Media

/// End-to-end renditions on generated clips, checked with the ffmpeg CLI as the oracle.
@Suite("Renditions from one decode pass", .serialized)
struct RenditionEncodeTests {
    init() {
        // x264 and the muxer log every encode at info level.
        FFmpegLibraries.setLogLevel(.error)
    }

    struct Fixture: CustomTestStringConvertible, Sendable {
        var name: String
        /// ffmpeg arguments writing `source.mp4` (a second command may derive from it).
        var commands: [[String]]
        /// Shown (upright) height of the source.
        var displayHeight: Int
        var expectedRenditions: [String]
        /// Extra filter the CLI oracle needs before scaling the source (frame-rate cap).
        var referenceFilter: String = ""
        var testDescription: String { name }
    }

    static func clip(size: String, rate: Int, seconds: Int, output: String) -> [String] {
        ["-f", "lavfi", "-i", "testsrc2=s=\(size):r=\(rate)", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
         "-t", "\(seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", output]
    }

    static let fixtures: [Fixture] = [
        Fixture(name: "landscape720p30", commands: [clip(size: "1280x720", rate: 30, seconds: 3, output: "source.mp4")],
                displayHeight: 720, expectedRenditions: ["720p 1280x720", "480p 854x480", "360p 640x360"]),
        Fixture(name: "rotated90",
                commands: [clip(size: "1280x720", rate: 30, seconds: 3, output: "plain.mp4"),
                           ["-i", "plain.mp4", "-c", "copy", "-metadata:s:v:0", "rotate=90", "source.mp4"]],
                displayHeight: 1280, expectedRenditions: ["1080p 608x1080", "720p 406x720", "480p 270x480", "360p 202x360"]),
        Fixture(name: "small640x360", commands: [clip(size: "640x360", rate: 30, seconds: 3, output: "source.mp4")],
                displayHeight: 360, expectedRenditions: ["360p 640x360"]),
        Fixture(name: "highFrameRate120", commands: [clip(size: "640x360", rate: 120, seconds: 2, output: "source.mp4")],
                displayHeight: 360, expectedRenditions: ["360p 640x360"], referenceFilter: "fps=60,"),
    ]

    @Test("renditions decode cleanly with the planned size, duration, rate, audio and box order", arguments: fixtures)
    func renditions(_ fixture: Fixture) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        for command in fixture.commands { try CommandLineTool.ffmpeg(command, in: scratch.url) }
        let source = scratch.path("source.mp4")
        let sourceProbe = try CommandLineTool.ffprobe(source, in: scratch.url)
        let sourceDuration = try #require(sourceProbe.format.duration.flatMap(Double.init))

        let output = scratch.path("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let results = try Renditions.encode(path: source, ladder: .default, into: output)

        #expect(results.map { "\($0.name) \($0.width)x\($0.height)" } == fixture.expectedRenditions)
        for result in results {
            #expect(result.problems.isEmpty, "\(result.name): \(result.problems)")
            #expect(result.verified)
            #expect(result.sizeBytes > 0 && (result.bitRate ?? 0) > 0)

            let decode = try CommandLineTool.run("ffmpeg", ["-nostdin", "-v", "error", "-i", result.path, "-f", "null", "-"], in: scratch.url)
            #expect(decode.status == 0 && decode.stderr.isEmpty, "\(result.name) decodes with: \(decode.stderr)")

            let probe = try CommandLineTool.ffprobe(result.path, in: scratch.url)
            let video = try #require(probe.streams?.first { $0.codecType == "video" })
            #expect("\(result.name) \(video.width ?? 0)x\(video.height ?? 0)" == "\(result.name) \(result.width)x\(result.height)")
            #expect((video.height ?? .max) <= fixture.displayHeight, "never upscaled")
            #expect(video.sideDataList == nil, "no rotation metadata")
            let frameRate = try #require(video.avgFrameRate.flatMap { Rational(parsing: $0) }?.value)
            #expect(frameRate <= 60.01)
            let duration = try #require(probe.format.duration.flatMap(Double.init))
            #expect(abs(duration - sourceDuration) <= 1 / frameRate + 0.001, "\(result.name): \(duration) s vs source \(sourceDuration) s")

            let audio = try #require(probe.streams?.first { $0.codecType == "audio" })
            #expect(audio.sampleRate == "48000" && audio.channels == 2)
            #expect(try Self.topLevelBoxes(result.path).filter { $0 == "moov" || $0 == "mdat" } == ["moov", "mdat"])

            let psnr = try #require(result.psnr)
            let ssim = try #require(result.ssim)
            let oracle = try Self.cliQuality(rendition: result.path, source: source, width: result.width, height: result.height,
                                             referenceFilter: fixture.referenceFilter, in: scratch.url)
            #expect(abs(psnr - oracle.psnr) <= 0.5, "\(result.name): PSNR \(psnr) dB, ffmpeg says \(oracle.psnr) dB")
            #expect(abs(ssim - oracle.ssim) <= 0.005, "\(result.name): SSIM \(ssim), ffmpeg says \(oracle.ssim)")
            #expect(psnr > 25 && ssim > 0.8, "\(result.name): implausibly low quality, PSNR \(psnr) dB, SSIM \(ssim)")
        }
    }

    @Test("an audio-only source has nothing to render")
    func audioOnly() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "sine", "-t", "1", "-c:a", "aac", "audio.m4a"], in: scratch.url)
        #expect(try Renditions.encode(path: scratch.path("audio.m4a"), into: scratch.url.path).isEmpty)
    }

    @Test("an unknown x264 preset becomes a problem on the result, not a crash")
    func badPreset() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(Self.clip(size: "320x240", rate: 30, seconds: 1, output: "source.mp4"), in: scratch.url)
        var ladder = RenditionLadder.default
        ladder.preset = "no-such-preset"
        let results = try Renditions.encode(path: scratch.path("source.mp4"), ladder: ladder, into: scratch.url.path)
        let result = try #require(results.first)
        #expect(results.count == 1 && !result.verified)
        #expect(result.problems.contains { $0.contains("no-such-preset") })
        #expect(!FileManager.default.fileExists(atPath: result.path), "no half-written file left behind")
    }

    /// Top-level MP4 box types in file order, read independently of the code under test.
    static func topLevelBoxes(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var types: [String] = []
        var offset = 0
        while offset + 8 <= data.count {
            let size32 = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            types.append(String(decoding: data[offset + 4..<offset + 8], as: UTF8.self))
            let size = size32 == 1 ? data[offset + 8..<offset + 16].reduce(0) { $0 << 8 | Int($1) } : size32
            guard size >= 8 else { break }
            offset += size
        }
        return types
    }

    /// ffmpeg's PSNR (all planes, `average:`) and luma SSIM (`Y:`) of the rendition against
    /// the source scaled to its size.
    static func cliQuality(rendition: String, source: String, width: Int, height: Int, referenceFilter: String,
                           in directory: URL) throws -> (psnr: Double, ssim: Double) {
        func measure(_ filter: String, marker: String) throws -> Double {
            let graph = "[1:v]\(referenceFilter)scale=\(width):\(height)[ref];[0:v][ref]\(filter)"
            let run = try CommandLineTool.run("ffmpeg", ["-nostdin", "-hide_banner", "-i", rendition, "-i", source, "-lavfi", graph, "-f", "null", "-"], in: directory)
            guard run.status == 0, let line = run.stderr.split(separator: "\n").last(where: { $0.contains("Parsed_\(filter)") }),
                  let range = line.range(of: marker), let value = Double(line[range.upperBound...].prefix { !$0.isWhitespace }) else {
                throw ToolFailure(command: ["ffmpeg", filter], status: run.status, stderr: run.stderr)
            }
            return value
        }
        return (try measure("psnr", marker: "average:"), try measure("ssim", marker: "SSIM Y:"))
    }
}
