import Foundation
import Media
import Testing
import VidpipeTestSupport

/// Files the pipeline must reject with a specific `MediaError.Code`, each named after its defect.
@Suite struct BadInputTests {
    @Test func randomBytesNamedMp4IsUnrecognized() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<65_536).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        bytes[0] = 0xFF  // a random first word could in theory read as a small box size
        let path = scratch.path("noise.mp4")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        // The oracle agrees it is not media.
        #expect(try CommandLineTool.run("ffprobe", ["-v", "error", path], in: scratch.url).status != 0)

        let error = probeError(path)
        #expect(error?.code == .unrecognizedFormat)
        #expect(error?.message.contains("not a recognised media container") == true)
        #expect(error?.message.contains(path) == true)
    }

    @Test func htmlErrorPageNamedMp4IsTextFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("download.mp4")
        let page = "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n<body>Not found — nothing here.</body></html>\n"
        try Data(page.utf8).write(to: URL(fileURLWithPath: path))

        let error = probeError(path)
        #expect(error?.code == .textFile)
        #expect(error?.message.contains("<!DOCTYPE html>") == true)
    }

    @Test func textFileNamedTxtIsTextFileNotAnsiArt() throws {
        // libavformat's tty demuxer would "open" this as video by its extension.
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("notes.txt")
        try Data(String(repeating: "plain text line\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
        #expect(probeError(path)?.code == .textFile)
    }

    @Test func truncatedWithMoovAtEndIsMissingMovieIndex() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // Without +faststart the moov is written last, so cutting the file removes it.
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:d=2", "-c:v", "libx264", "-preset", "ultrafast", "whole.mp4"], in: scratch.url)
        let whole = try Data(contentsOf: scratch.url.appendingPathComponent("whole.mp4"))
        let path = scratch.path("cut.mp4")
        try whole.prefix(whole.count * 6 / 10).write(to: URL(fileURLWithPath: path))
        let oracle = try CommandLineTool.run("ffprobe", ["-v", "error", path], in: scratch.url)
        #expect(oracle.status != 0 && oracle.stderr.contains("moov atom not found"))

        let error = probeError(path)
        #expect(error?.code == .missingMovieIndex)
        #expect(error?.message.contains("moov atom not found") == true)
        #expect(error?.message.contains("mdat") == true)
    }

    @Test(arguments: [false, true])
    func handWrittenFileWithoutMoovIsMissingMovieIndex(largesizeMdat: Bool) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let payload = [UInt8](repeating: 0xAB, count: 4096)
        var file = ISOBox.box("ftyp", ISOBox.ascii("isom") + ISOBox.be32(512) + ISOBox.ascii("isomiso2avc1mp41"))
        file += ISOBox.box("free", [])
        if largesizeMdat {
            file += ISOBox.be32(1) + ISOBox.ascii("mdat") + ISOBox.be64(UInt64(16 + payload.count)) + payload
        } else {
            file += ISOBox.be32(0) + ISOBox.ascii("mdat") + payload  // size 0: runs to end of file
        }
        let path = scratch.path(largesizeMdat ? "largesize.mp4" : "sizezero.mp4")
        try Data(file).write(to: URL(fileURLWithPath: path))

        let error = probeError(path)
        #expect(error?.code == .missingMovieIndex, "\(String(describing: error))")
    }

    @Test func truncatedAfterFrontMoovIsTruncated() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:d=3", "-c:v", "libx264", "-preset", "ultrafast",
                                    "-movflags", "+faststart", "whole.mp4"], in: scratch.url)
        let whole = try Data(contentsOf: scratch.url.appendingPathComponent("whole.mp4"))
        let path = scratch.path("cut.mp4")
        try whole.prefix(whole.count * 6 / 10).write(to: URL(fileURLWithPath: path))
        // The oracle calls this file healthy; only the index shows what is missing.
        let oracle = try CommandLineTool.ffprobe(path, in: scratch.url)
        #expect(oracle.streams?.count == 1)

        let error = probeError(path)
        #expect(error?.code == .truncated)
        let missing = whole.count - whole.count * 6 / 10
        // The index ends at the last sample, which is at most the original file's end.
        #expect(error?.message.contains("bytes missing") == true)
        if let message = error?.message, let number = Self.missingBytes(in: message) {
            #expect(number > 0 && number <= missing)
        } else {
            Issue.record("no missing byte count in \(String(describing: error))")
        }
        // The same clip untruncated probes fine.
        #expect(throws: Never.self) { try MediaProbe.probe(path: scratch.path("whole.mp4")) }
    }

    @Test func validMoovWithoutTracksIsNoStreams() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        // ffmpeg refuses to write an output without streams, so build ftyp + moov(mvhd) by hand.
        var mvhd = ISOBox.be32(0) + ISOBox.be32(0) + ISOBox.be32(0)  // version/flags, creation, modification
        mvhd += ISOBox.be32(1000) + ISOBox.be32(0)  // timescale, duration
        mvhd += ISOBox.be32(0x0001_0000) + [0x01, 0x00] + [UInt8](repeating: 0, count: 10)  // rate, volume, reserved
        for value: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] { mvhd += ISOBox.be32(value) }  // unity matrix
        mvhd += [UInt8](repeating: 0, count: 24) + ISOBox.be32(1)  // pre_defined, next_track_ID
        let file = ISOBox.box("ftyp", ISOBox.ascii("isom") + ISOBox.be32(512) + ISOBox.ascii("isom"))
            + ISOBox.box("moov", ISOBox.box("mvhd", mvhd))
        let path = scratch.path("empty_movie.mp4")
        try Data(file).write(to: URL(fileURLWithPath: path))
        let oracle = try CommandLineTool.ffprobe(path, in: scratch.url)
        #expect(oracle.format.nbStreams == 0)

        let error = probeError(path)
        #expect(error?.code == .noStreams)
    }

    @Test func zeroByteFileIsEmptyFile() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("zero.mp4")
        try Data().write(to: URL(fileURLWithPath: path))
        #expect(probeError(path)?.code == .emptyFile)
    }

    @Test func missingFileIsOpenFailed() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let error = probeError(scratch.path("absent.mp4"))
        #expect(error?.code == .openFailed)
        #expect(error?.isRetryable == true)
    }

    private func probeError(_ path: String) -> MediaError? {
        do {
            let report = try MediaProbe.probe(path: path)
            Issue.record("expected an error, got \(report)")
            return nil
        } catch {
            return error
        }
    }

    private static func missingBytes(in message: String) -> Int? {
        guard let range = message.range(of: " bytes missing") else { return nil }
        let digits = message[..<range.lowerBound].reversed().prefix(while: \.isNumber)
        return Int(String(digits.reversed()))
    }
}

/// Just enough ISO-BMFF writing to hand-craft defective files.
enum ISOBox {
    static func be32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func be64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
    static func box(_ type: String, _ body: [UInt8]) -> [UInt8] { be32(UInt32(8 + body.count)) + ascii(type) + body }
}
