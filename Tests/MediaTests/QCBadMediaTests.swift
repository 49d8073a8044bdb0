import Foundation
import Media
import Testing
import VidpipeTestSupport

/// Damaged and hostile files: each gets a clear verdict or a clear `MediaError`, never a
/// crash and never "healthy".
@Suite struct QCBadMediaTests {
    /// Cut at 60 % after a front moov: ffprobe still calls it healthy, the decode does not.
    @Test func truncatedWithFrontMoovIsFlaggedThoughFFprobeCallsItHealthy() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3", "-c:v", "libx264", "-preset", "ultrafast",
                                    "-movflags", "+faststart", "whole.mp4"], in: scratch.url)
        let whole = try Data(contentsOf: scratch.url.appendingPathComponent("whole.mp4"))
        let path = scratch.path("cut.mp4")
        try whole.prefix(whole.count * 6 / 10).write(to: URL(fileURLWithPath: path))
        let oracle = try CommandLineTool.run("ffprobe", ["-v", "error", "-show_streams", path], in: scratch.url)
        #expect(oracle.status == 0 && oracle.stderr.isEmpty && String(decoding: oracle.stdout, as: UTF8.self).contains("nb_frames=90"))

        let result = try MediaPass.run(path: path, qc: QCOptions())
        #expect(!result.decode.isHealthy && !result.qc.decode.isHealthy)
        #expect(result.qc.decode.missingVideoFrames > 10)
        #expect(result.qc.findings.contains { $0.kind.rawValue == "qc.truncated" && $0.severity == .fail })
    }

    /// 3,000 bytes overwritten in the middle of the H.264 data.
    @Test func bitCorruptedH264IsFlaggedWithDecodeErrors() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=3", "-c:v", "libx264", "-preset", "ultrafast",
                                    "-movflags", "+faststart", "whole.mp4"], in: scratch.url)
        var bytes = try Data(contentsOf: scratch.url.appendingPathComponent("whole.mp4"))
        let middle = bytes.count / 2
        bytes.replaceSubrange(middle..<middle + 3000, with: Data(repeating: 0x5A, count: 3000))
        let path = scratch.path("corrupt.mp4")
        try bytes.write(to: URL(fileURLWithPath: path))
        // The oracle sees the damage too.
        #expect(try !CommandLineTool.run("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"], in: scratch.url).stderr.isEmpty)

        let result = try MediaPass.run(path: path, qc: QCOptions())
        #expect(result.decode.errorCount > 0)
        #expect(!result.qc.decode.isHealthy)
        let finding = try #require(result.qc.findings.first { $0.kind.rawValue == "qc.decode_errors" })
        #expect(finding.severity == .fail)
        // The timecode points into the damaged middle, not at the start.
        #expect((finding.start ?? 0) > 0.5 && (finding.start ?? 9) < 3, "\(finding)")
    }

    @Test func audioOnlyRunsAudioChecks() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "sine=d=2", "-f", "lavfi", "-i", "anullsrc=d=2.5", "-filter_complex", "[0:a][1:a]concat=n=2:v=0:a=1",
                                    "-c:a", "aac", "audio.m4a"], in: scratch.url)
        let result = try MediaPass.run(path: scratch.path("audio.m4a"), qc: QCOptions())
        #expect(result.decode.videoFramesDecoded == 0 && result.decode.audioFramesDecoded > 0)
        #expect(segmentsMatch(result.qc.silence, [(2.0, 4.5)], within: audioTolerance), "\(result.qc.silence)")
        #expect(result.qc.loudness != nil && result.qc.frameRate == nil && result.qc.timing == nil)
        #expect(!result.qc.findingKinds.contains("qc.truncated") && !result.qc.findingKinds.contains("qc.decode_errors"))
    }

    /// An MPEG-TS whose PMT declares H.264 video but whose video packets were all dropped.
    @Test func declaredVideoWithZeroFramesIsNeverHealthy() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", "-f", "lavfi", "-i", "sine=d=2",
                                    "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "both.ts"], in: scratch.url)
        let stream = try TransportStream(Data(contentsOf: scratch.url.appendingPathComponent("both.ts")))
        let path = scratch.path("novideo.ts")
        try stream.dropping(pid: TransportStream.videoPID).write(to: URL(fileURLWithPath: path))
        let probe = try CommandLineTool.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type", path], in: scratch.url)
        #expect(String(decoding: probe.stdout, as: UTF8.self).contains("codec_type=video"))

        let result = try MediaPass.run(path: path, qc: QCOptions())
        #expect(result.decode.videoFramesDecoded == 0 && result.decode.audioFramesDecoded > 0)
        #expect(!result.qc.decode.isHealthy)
        #expect(result.qc.findings.contains { $0.kind.rawValue == "qc.truncated" && $0.message.contains("no video frame") })
        #expect(result.qc.loudness != nil)
    }

    /// An AVI of 16x16 raw video whose header is patched to claim 100000x100000 pixels.
    @Test func absurdDeclaredResolutionIsAClearError() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=16x16:r=5:d=1", "-c:v", "rawvideo", "-pix_fmt", "gray", "raw.avi"], in: scratch.url)
        var bytes = try Data(contentsOf: scratch.url.appendingPathComponent("raw.avi"))
        // BITMAPINFOHEADER follows "strf" and its size: biSize, biWidth, biHeight.
        let strf = try #require(bytes.firstRange(of: Data("strf".utf8)))
        for offset in [strf.lowerBound + 12, strf.lowerBound + 16] {
            withUnsafeBytes(of: UInt32(100_000).littleEndian) { bytes.replaceSubrange(offset..<offset + 4, with: $0) }
        }
        let path = scratch.path("huge.avi")
        try bytes.write(to: URL(fileURLWithPath: path))

        #expect {
            try MediaPass.run(path: path, qc: QCOptions())
        } throws: { error in
            guard let error = error as? MediaError else { return false }
            return error.code == .invalidDimensions && error.message.contains("100000x100000") && !error.isRetryable
        }
    }

    /// An MPEG-TS whose PMT is rewritten to say AVS3 (stream type 0xd4), which this FFmpeg
    /// build knows by name but has no decoder for.
    @Test func codecWithoutDecoderIsUnsupportedCodec() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=1", "-c:v", "libx264", "-preset", "ultrafast", "h264.ts"], in: scratch.url)
        let stream = try TransportStream(Data(contentsOf: scratch.url.appendingPathComponent("h264.ts")))
        let path = scratch.path("avs3.ts")
        try stream.retypingStream(pid: TransportStream.videoPID, to: 0xD4).write(to: URL(fileURLWithPath: path))
        let probe = try CommandLineTool.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", path], in: scratch.url)
        #expect(String(decoding: probe.stdout, as: UTF8.self).contains("codec_name=avs3"))

        #expect {
            try MediaPass.run(path: path, qc: QCOptions())
        } throws: { error in
            guard let error = error as? MediaError else { return false }
            return error.code == .unsupportedCodec && error.message.contains("avs3")
        }
    }

    @Test func cancellingTheAsyncPassStopsIt() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=30:d=20", "-c:v", "libx264", "-preset", "ultrafast", "long.mp4"], in: scratch.url)
        let path = scratch.path("long.mp4")
        let task = Task { try await MediaPass.run(path: path, qc: QCOptions()) }
        // Cancelled once the pass has opened the file, i.e. mid-pass (the whole pass of this
        // clip can take less than 200 ms, hence the tight polling).
        try await waitUntil("the pass opens \(path)", every: .milliseconds(1)) { try Self.processHasOpen(path) }
        task.cancel()
        let outcome = await task.result
        #expect(throws: MediaError.self) { try outcome.get() }
        if case .failure(let error as MediaError) = outcome { #expect(error.code == .cancelled) }
    }

    /// Whether this process holds `path` open: one of /proc/self/fd's links points to it.
    static func processHasOpen(_ path: String) throws -> Bool {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").contains { fd in
            // A descriptor closed between the listing and the lookup is simply not this file.
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd)) == resolved
        }
    }
}

/// Just enough MPEG-TS to drop a PID's packets or change a stream type in the PMT.
struct TransportStream {
    /// ffmpeg's mpegts muxer defaults.
    static let videoPID = 0x100
    static let pmtPID = 0x1000
    var packets: [Data]

    init(_ data: Data) throws {
        guard data.count % 188 == 0 else { throw ToolFailure(command: ["TransportStream"], status: 1, stderr: "not 188-byte packets") }
        packets = stride(from: 0, to: data.count, by: 188).map { data.subdata(in: $0..<$0 + 188) }
    }

    static func pid(_ packet: Data) -> Int { (Int(packet[packet.startIndex + 1]) & 0x1F) << 8 | Int(packet[packet.startIndex + 2]) }

    func dropping(pid: Int) -> Data { Data(packets.filter { Self.pid($0) != pid }.joined()) }

    /// Rewrites the stream type of `pid` in every PMT section and fixes the section CRC.
    func retypingStream(pid: Int, to streamType: UInt8) -> Data {
        var result = Data()
        for packet in packets {
            var bytes = [UInt8](packet)
            if Self.pid(packet) == Self.pmtPID, bytes[1] & 0x40 != 0 {
                let adaptation = bytes[3] & 0x20 != 0 ? 1 + Int(bytes[4]) : 0
                let section = 4 + adaptation + 1 + Int(bytes[4 + adaptation])
                let sectionLength = (Int(bytes[section + 1]) & 0x0F) << 8 | Int(bytes[section + 2])
                let programInfoLength = (Int(bytes[section + 10]) & 0x0F) << 8 | Int(bytes[section + 11])
                var entry = section + 12 + programInfoLength
                let crcStart = section + 3 + sectionLength - 4
                while entry + 5 <= crcStart {
                    let entryPID = (Int(bytes[entry + 1]) & 0x1F) << 8 | Int(bytes[entry + 2])
                    if entryPID == pid { bytes[entry] = streamType }
                    entry += 5 + ((Int(bytes[entry + 3]) & 0x0F) << 8 | Int(bytes[entry + 4]))
                }
                let crc = Self.crc32(bytes[section..<crcStart])
                for index in 0..<4 { bytes[crcStart + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(index))) }
            }
            result.append(contentsOf: bytes)
        }
        return result
    }

    /// CRC-32/MPEG-2: polynomial 0x04C11DB7, initial 0xFFFFFFFF, not reflected.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte) << 24
            for _ in 0..<8 { crc = crc & 0x8000_0000 != 0 ? (crc << 1) ^ 0x04C1_1DB7 : crc << 1 }
        }
        return crc
    }
}
