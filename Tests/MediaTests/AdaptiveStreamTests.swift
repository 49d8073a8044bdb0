import Foundation
import Testing
import VidpipeTestSupport
@testable import Media

/// The HLS/CMAF stream written from the renditions' packets, read back by the ffmpeg CLI.
@Suite("Adaptive stream (HLS with CMAF segments)", .serialized)
struct AdaptiveStreamTests {
    init() { FFmpegLibraries.setLogLevel(.error) }

    /// Three rungs, two audio bit rates (so two audio groups); 3-second segments, which the
    /// ladder's 2-second keyframe interval alone would not land on; the DASH manifest too.
    static let ladder = RenditionLadder(rungs: [
        .init(name: "360p", height: 360, videoBitRate: 800_000, audioBitRate: 128_000),
        .init(name: "240p", height: 240, videoBitRate: 400_000, audioBitRate: 96_000),
        .init(name: "180p", height: 180, videoBitRate: 250_000, audioBitRate: 96_000),
    ], segmentSeconds: 3, writesDASHManifest: true)

    struct Fixture: CustomTestStringConvertible, Sendable {
        var name: String
        var rate: String
        var seconds: Double
        var testDescription: String { name }
    }

    static let fixtures = [
        Fixture(name: "30fps10s", rate: "30/1", seconds: 10),
        Fixture(name: "ntsc29.97fps7.5s", rate: "30000/1001", seconds: 7.5),
    ]

    /// A source clip and the stream made from it.
    struct Made {
        let scratch: ScratchDirectory
        let result: MediaPassResult
        var stream: AdaptiveStreamResult { get throws { try #require(result.stream) } }
        var directory: String { scratch.path("out/hls") }
    }

    static func make(_ fixture: Fixture) throws -> Made {
        let scratch = try ScratchDirectory()
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=\(fixture.rate)", "-f", "lavfi", "-i", "sine=frequency=440",
                                    "-t", "\(fixture.seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                                    "-c:a", "aac", "source.mp4"], in: scratch.url)
        let plan = MediaPassPlan(enrichment: nil, outputDirectory: scratch.path("out"), thumbnails: nil, ladder: ladder)
        return Made(scratch: scratch, result: try MediaPass.run(path: scratch.path("source.mp4"), plan: plan))
    }

    /// The master playlist's `#EXT-X-STREAM-INF` attributes and URI, parsed here independently.
    static func variants(master: String) throws -> [(attributes: [String: String], uri: String)] {
        let lines = try String(contentsOfFile: master, encoding: .utf8).split(separator: "\n").map(String.init)
        return lines.indices.filter { lines[$0].hasPrefix("#EXT-X-STREAM-INF:") }.map { index in
            (attributes(String(lines[index].dropFirst("#EXT-X-STREAM-INF:".count))), lines[index + 1])
        }
    }

    static func attributes(_ list: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(list)
        while let equals = rest.firstIndex(of: "=") {
            let key = String(rest[..<equals])
            rest = rest[rest.index(after: equals)...]
            let value: Substring
            if rest.hasPrefix("\"") {
                let close = rest.dropFirst().firstIndex(of: "\"")!
                value = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
            } else {
                value = rest.prefix { $0 != "," }
                rest = rest.dropFirst(value.count)
            }
            result[key] = String(value)
            rest = rest.drop { $0 == "," }
        }
        return result
    }

    static func mediaPlaylist(_ path: String) throws -> (initURI: String, segments: [(uri: String, duration: Double)]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let initURI = try #require(lines.first { $0.hasPrefix("#EXT-X-MAP:") }.flatMap { attributes(String($0.dropFirst("#EXT-X-MAP:".count)))["URI"] })
        let segments = lines.indices.filter { lines[$0].hasPrefix("#EXTINF:") }.map { index in
            (lines[index + 1], Double(lines[index].dropFirst("#EXTINF:".count).prefix { $0 != "," }) ?? -1)
        }
        return (initURI, segments)
    }

    /// ffprobe's packets of one segment (init + fragment): pts, duration, key flag.
    ///
    /// FFmpeg 5.1's MP4 reader leaves a video packet's duration to a guess from the SPS's
    /// timing when the track has composition offsets (B-frames), and x264's SPS states the
    /// encoder's 1/15360 s time base, which it refuses as a frame rate: ffprobe prints `N/A`
    /// for every such packet, in the progressive MP4 as much as in the segments. Those take
    /// `frameSeconds`; the durations stored in the segments are checked by
    /// ``storedEnd(initSegment:segment:in:)``.
    static func packets(initSegment: String, segment: String, frameSeconds: Double, in scratch: ScratchDirectory) throws -> [(pts: Double, duration: Double, key: Bool)] {
        try packets(joined(initSegment, segment, in: scratch), in: scratch).map { ($0.pts, $0.duration ?? frameSeconds, $0.key) }
    }

    /// Init + fragment in one file, as a player feeds them to its demuxer.
    static func joined(_ initSegment: String, _ segment: String, in scratch: ScratchDirectory) throws -> String {
        let joined = scratch.path("joined.mp4")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: initSegment))
        bytes.append(try Data(contentsOf: URL(fileURLWithPath: segment)))
        try bytes.write(to: URL(fileURLWithPath: joined))
        return joined
    }

    /// Where a segment's samples end by the durations stored in it (`trun`/`tfhd`), seconds:
    /// ffprobe's stream duration of init + fragment, which its reader sums from them on top of
    /// the fragment's decode time (`tfdt`).
    static func storedEnd(initSegment: String, segment: String, in scratch: ScratchDirectory) throws -> Double {
        let output = try CommandLineTool.checked("ffprobe", ["-v", "error", "-show_entries", "stream=duration_ts,time_base", "-of", "csv=p=0",
                                                             try joined(initSegment, segment, in: scratch)], in: scratch.url)
        let fields = output.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        let timeBase = try #require(fields.first.flatMap { Rational(parsing: String($0)) }?.value, "\(output.text)")
        return try #require(fields.last.flatMap { Double($0) }, "\(output.text)") * timeBase
    }

    /// ffprobe's packets of a one-track file, in decode order; nil for a duration it prints as `N/A`.
    static func packets(_ path: String, in scratch: ScratchDirectory) throws -> [(pts: Double, duration: Double?, key: Bool)] {
        let output = try CommandLineTool.checked("ffprobe", ["-v", "error", "-show_entries", "packet=pts_time,duration_time,flags",
                                                             "-of", "csv=p=0", path], in: scratch.url)
        return output.text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 3, let pts = Double(fields[0]) else { return nil }
            return (pts, Double(fields[1]), fields[2].hasPrefix("K"))
        }
    }

    @Test("ffmpeg reads the master playlist and decodes every rung and audio track end to end", arguments: fixtures)
    func decodesEndToEnd(_ fixture: Fixture) throws {
        let made = try Self.make(fixture)
        defer { made.scratch.remove() }
        let stream = try made.stream
        #expect(stream.problems.isEmpty, "\(stream.problems)")
        // ffprobe lists each variant's program with its audio: count the distinct ones.
        let probe = try CommandLineTool.checked("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type,width,height,bit_rate",
                                                            "-of", "csv=p=0", stream.masterPath])
        let streams = Set(String(decoding: probe.stdout, as: UTF8.self).split(separator: "\n").map(String.init))
        #expect(Set(streams.filter { $0.hasPrefix("video") }.map { $0.split(separator: ",").dropFirst().prefix(2).joined(separator: "x") })
                == ["640x360", "426x240", "320x180"], "video streams in the master: \(streams)")
        #expect(streams.contains { $0.hasPrefix("audio") }, "audio in the master: \(streams)")

        let master = try CommandLineTool.run("ffmpeg", ["-nostdin", "-v", "error", "-i", stream.masterPath, "-map", "0", "-f", "null", "-"])
        #expect(master.status == 0 && master.stderr.isEmpty, "decoding the master: \(master.stderr)")

        let sourceFrames = try CommandLineTool.videoFrameCount(made.scratch.path("source.mp4"))
        let playlists = stream.variants.map(\.playlist) + stream.audio.map(\.playlist)
        for playlist in playlists {
            let path = made.directory + "/" + playlist
            let decode = try CommandLineTool.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-f", "null", "-"])
            #expect(decode.status == 0 && decode.stderr.isEmpty, "\(playlist) decodes with: \(decode.stderr)")
            if !playlist.hasPrefix("audio") {
                let frames = try CommandLineTool.videoFrameCount(path)
                #expect(frames == sourceFrames, "\(playlist): \(frames) frames, source \(sourceFrames)")
            }
        }
    }

    @Test("every segment starts on a keyframe and lasts at most the target plus one frame", arguments: fixtures)
    func segmentDurations(_ fixture: Fixture) throws {
        let made = try Self.make(fixture)
        defer { made.scratch.remove() }
        let stream = try made.stream
        let frame = 1 / (try #require(Rational(parsing: fixture.rate)?.value))
        for playlist in stream.variants.map(\.playlist) + stream.audio.map(\.playlist) {
            let media = try Self.mediaPlaylist(made.directory + "/" + playlist)
            let isAudio = playlist.hasPrefix("audio")
            let frameSeconds = isAudio ? 1024.0 / 48_000 : frame
            #expect(media.segments.count >= 3, "\(playlist): \(media.segments.count) segments")
            var boundary = 0.0
            for segment in media.segments {
                let initSegment = made.directory + "/" + media.initURI, file = made.directory + "/" + segment.uri
                let packets = try Self.packets(initSegment: initSegment, segment: file, frameSeconds: frameSeconds, in: made.scratch)
                // Each segment's stored sample durations carry it to where the next one starts
                // (no sample left without its duration, no gap, no overlap).
                boundary += segment.duration
                let storedEnd = try Self.storedEnd(initSegment: initSegment, segment: file, in: made.scratch)
                #expect(abs(storedEnd - boundary) <= 0.001, "\(segment.uri): its samples end at \(storedEnd) s, the next segment starts at \(boundary) s")
                let first = try #require(packets.first)
                #expect(first.key, "\(segment.uri) starts with a keyframe")
                let start = packets.map(\.pts).min()!, end = packets.map { $0.pts + $0.duration }.max()!
                #expect(end - start <= stream.segmentSeconds + frame + 0.001, "\(segment.uri): \(end - start) s")
                #expect(abs(segment.duration - (end - start)) <= 0.001 + frame / 2, "\(segment.uri): EXTINF \(segment.duration), packets \(end - start)")
            }
            // The video track lasts what the rung's progressive MP4 track lasts, by stored durations.
            // (The MP4's audio hides the AAC priming behind an edit list; the segments carry it.)
            guard !isAudio else { continue }
            let mp4 = try CommandLineTool.checked("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration",
                                                              "-of", "csv=p=0", made.scratch.path("out/" + playlist.replacingOccurrences(of: ".m3u8", with: ".mp4"))])
            let mp4Duration = try #require(Double(mp4.text.trimmingCharacters(in: .whitespacesAndNewlines)), "\(mp4.text)")
            #expect(abs(boundary - mp4Duration) <= 0.001, "\(playlist): ends at \(boundary) s, the MP4's video lasts \(mp4Duration) s")
        }
    }

    @Test("keyframe timestamps are the same in every rung", arguments: fixtures)
    func keyframesAligned(_ fixture: Fixture) throws {
        let made = try Self.make(fixture)
        defer { made.scratch.remove() }
        let stream = try made.stream
        var keyframes: [String: [String]] = [:]
        for variant in stream.variants {
            let output = try CommandLineTool.checked("ffprobe", ["-v", "error", "-select_streams", "v", "-skip_frame", "nokey", "-show_entries",
                                                                 "frame=pts_time", "-of", "csv=p=0", made.directory + "/" + variant.playlist])
            // The first frame's line carries a trailing comma (an empty side-data field).
            keyframes[variant.name] = String(decoding: output.stdout, as: UTF8.self).split(separator: "\n")
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
        }
        let reference = try #require(keyframes["360p"])
        // A keyframe on the first frame at or past every multiple of the segment length.
        let times = reference.compactMap(Double.init)
        let frame = 1 / (try #require(Rational(parsing: fixture.rate)?.value))
        let first = try #require(times.first)
        for index in 0..<Int((fixture.seconds / stream.segmentSeconds).rounded(.up)) {
            let boundary = first + Double(index) * stream.segmentSeconds
            #expect(times.contains { $0 >= boundary - 0.0005 && $0 < boundary + frame - 0.0005 }, "no keyframe at \(boundary) s: \(reference)")
        }
        for (name, times) in keyframes { #expect(times == reference, "\(name): \(times) vs 360p: \(reference)") }
    }

    @Test("the master playlist's CODECS, RESOLUTION, FRAME-RATE and bandwidths match the streams", arguments: fixtures)
    func masterAttributes(_ fixture: Fixture) throws {
        let made = try Self.make(fixture)
        defer { made.scratch.remove() }
        let stream = try made.stream
        let variants = try Self.variants(master: stream.masterPath)
        #expect(variants.map(\.uri) == ["360p.m3u8", "240p.m3u8", "180p.m3u8"])
        for (attributes, uri) in variants {
            let probe = try CommandLineTool.ffprobe(made.directory + "/" + uri)
            let video = try #require(probe.streams?.first { $0.codecType == "video" })
            let codecs = try #require(attributes["CODECS"]).split(separator: ",").map(String.init)
            let profileIDC = ["Constrained Baseline": 0x42, "Baseline": 0x42, "Main": 0x4d, "High": 0x64][video.profile ?? ""]
            #expect(codecs.first == String(format: "avc1.%02x", profileIDC ?? -1) + codecs[0].dropFirst(7).prefix(2) + String(format: "%02x", video.level ?? -1),
                    "\(uri): \(codecs) vs ffprobe \(video.profile ?? "?") level \(video.level ?? -1)")
            #expect(attributes["RESOLUTION"] == "\(video.width ?? 0)x\(video.height ?? 0)")
            let rate = try #require(video.avgFrameRate.flatMap { Rational(parsing: $0) }?.value)
            #expect(abs((Double(attributes["FRAME-RATE"] ?? "") ?? 0) - rate) < 0.01, "\(uri): FRAME-RATE \(attributes["FRAME-RATE"] ?? "") vs \(rate)")

            let group = try #require(attributes["AUDIO"])
            let audioLine = try #require(String(contentsOfFile: stream.masterPath, encoding: .utf8).split(separator: "\n")
                .first { $0.hasPrefix("#EXT-X-MEDIA:TYPE=AUDIO") && $0.contains("GROUP-ID=\"\(group)\"") })
            let audioURI = try #require(Self.attributes(String(audioLine.dropFirst("#EXT-X-MEDIA:".count)))["URI"])
            let audio = try #require(try CommandLineTool.ffprobe(made.directory + "/" + audioURI).streams?.first)
            #expect(audio.codecName == "aac" && audio.profile == "LC" && codecs.last == "mp4a.40.2", "\(audioURI): \(audio.profile ?? "?") vs \(codecs)")

            // The oracle for the average: the segments' bytes over ffprobe's durations.
            let average = try Self.measuredBitRate(made.directory, uri) + Self.measuredBitRate(made.directory, audioURI)
            let declared = try #require(Double(attributes["AVERAGE-BANDWIDTH"] ?? ""))
            #expect(abs(declared - average) / average < 0.02, "\(uri): AVERAGE-BANDWIDTH \(declared) vs measured \(average)")
            #expect(try #require(Double(attributes["BANDWIDTH"] ?? "")) >= declared)
        }
    }

    @Test("vidpipe's check names a truncated, an emptied and a missing segment")
    func truncatedOrMissingSegment() throws {
        let made = try Self.make(Self.fixtures[0])
        defer { made.scratch.remove() }
        let stream = try made.stream
        #expect(AdaptiveStreamCheck.problems(masterPath: stream.masterPath).isEmpty)

        let truncated = made.directory + "/240p_00001.m4s"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: truncated))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        try Data().write(to: URL(fileURLWithPath: made.directory + "/360p_00002.m4s"))
        try FileManager.default.removeItem(atPath: made.directory + "/audio_96k_00000.m4s")

        let problems = AdaptiveStreamCheck.problems(masterPath: stream.masterPath)
        #expect(problems.contains { $0.hasPrefix("segment 240p_00001.m4s of 240p.m3u8 is truncated") }, "\(problems)")
        #expect(problems.contains("segment 360p_00002.m4s of 360p.m3u8 is empty (0 bytes)"), "\(problems)")
        #expect(problems.contains("segment audio_96k_00000.m4s of audio_96k.m3u8 is missing"), "\(problems)")
        #expect(problems.count == 3, "\(problems)")
    }

    /// Bytes of a track's segments over its duration as ffprobe reads it.
    static func measuredBitRate(_ directory: String, _ playlist: String) throws -> Double {
        let media = try mediaPlaylist(directory + "/" + playlist)
        let bytes = try media.segments.reduce(0) { total, segment in
            total + ((try FileManager.default.attributesOfItem(atPath: directory + "/" + segment.uri)[.size] as? NSNumber)?.doubleValue ?? 0)
        }
        let probe = try CommandLineTool.ffprobe(directory + "/" + playlist)
        let duration = try #require(probe.format.duration.flatMap(Double.init))
        return bytes * 8 / duration
    }
}
