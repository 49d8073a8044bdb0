import Foundation
import Media
import Testing
import VidpipeTestSupport

@Suite struct ModelTests {
    @Test func rationalEncodesAsFractionString() throws {
        let rate = Rational(30000, 1001)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = try encoder.encode(rate)
        #expect(String(decoding: data, as: UTF8.self) == "\"30000/1001\"")
        #expect(try JSONDecoder().decode(Rational.self, from: data) == rate)
        #expect(Rational(0, 0).value == nil)
        #expect(Rational(parsing: "16:9") == Rational(16, 9))
    }

    @Test func libraryVersionsMatchFFprobe() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // ffprobe -version lists e.g. "libavformat    59. 27.100 / 59. 27.100" (built / run-time).
        let output = String(decoding: try CommandLineTool.run("ffprobe", ["-version"], in: scratch.url).stdout, as: UTF8.self)
        let versions = FFmpegLibraries.versions
        for library in ["libavformat", "libavcodec", "libavutil"] {
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(library + " ") }),
                  let runtime = line.split(separator: "/").last
            else {
                Issue.record("ffprobe -version has no \(library) line")
                continue
            }
            let expected = runtime.replacingOccurrences(of: " ", with: "")
            #expect(versions[library] == expected, "\(library)")
        }
    }

    @Test func reportRoundTripsThroughJSON() throws {
        var stream = StreamInfo(index: 0, kind: .video, codecName: "h264", codecLongName: "H.264", timeBase: Rational(1, 15360))
        stream.averageFrameRate = Rational(25, 1)
        stream.rotationDegrees = -90
        let report = ProbeReport(
            container: ContainerInfo(formatName: "mov,mp4,m4a,3gp,3g2,mj2", formatLongName: "QuickTime / MOV", durationSeconds: 1, sizeBytes: 10),
            streams: [stream])
        let decoded = try JSONDecoder().decode(ProbeReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
        #expect(decoded.primaryVideo?.codecName == "h264")
        #expect(decoded.primaryAudio == nil)
    }
}
