import Foundation
import Testing
import VidpipeTestSupport
@testable import Media

/// The DASH manifest over the HLS stream's segments, read back by Python's XML parser (the
/// oracle for its structure and the names its templates expand to) and the ffmpeg CLI.
extension AdaptiveStreamTests {
    /// `manifest.mpd` as Python's `xml.etree` reads it: every Representation with its
    /// attributes and each segment its `SegmentTemplate` + `SegmentTimeline` name (number,
    /// file, start and duration in ticks), expanded here independently of vidpipe.
    struct MPD: Decodable {
        struct Segment: Decodable {
            var name: String
            var start: Int
            var duration: Int
        }

        struct Representation: Decodable {
            var id: String
            var contentType: String
            var bandwidth: Int
            var codecs: String
            var width: Int?
            var height: Int?
            var frameRate: String?
            var channels: String?
            var timescale: Int
            var initialization: String
            var segments: [Segment]
        }

        var type: String
        var profiles: String
        var duration: String
        var representations: [Representation]

        static let script = #"""
        import json, re, sys, xml.etree.ElementTree as ET
        ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
        root = ET.parse(sys.argv[1]).getroot()
        def expand(template, number):
            template = template.replace("$Number$", str(number))
            return re.sub(r"\$Number%0(\d+)d\$", lambda m: str(number).zfill(int(m.group(1))), template)
        representations = []
        for adaptation in root.iterfind("d:Period/d:AdaptationSet", ns):
            for r in adaptation.iterfind("d:Representation", ns):
                t = r.find("d:SegmentTemplate", ns)
                number, start, segments = int(t.get("startNumber", "1")), 0, []
                for s in t.iterfind("d:SegmentTimeline/d:S", ns):
                    start = int(s.get("t", start))
                    for _ in range(int(s.get("r", "0")) + 1):
                        segments.append({"name": expand(t.get("media"), number), "start": start, "duration": int(s.get("d"))})
                        number, start = number + 1, start + int(s.get("d"))
                channels = r.find("d:AudioChannelConfiguration", ns)
                representations.append({
                    "id": r.get("id"), "contentType": adaptation.get("contentType"), "bandwidth": int(r.get("bandwidth")),
                    "codecs": r.get("codecs"), "width": int(r.get("width")) if r.get("width") else None,
                    "height": int(r.get("height")) if r.get("height") else None, "frameRate": r.get("frameRate"),
                    "channels": channels.get("value") if channels is not None else None,
                    "timescale": int(t.get("timescale")), "initialization": t.get("initialization"), "segments": segments})
        print(json.dumps({"type": root.get("type"), "profiles": root.get("profiles"),
                          "duration": root.get("mediaPresentationDuration"), "representations": representations}))
        """#

        static func read(_ path: String) throws -> MPD {
            try JSONDecoder().decode(MPD.self, from: try CommandLineTool.checked("python3", ["-c", script, path]).stdout)
        }
    }

    @Test("ffprobe and ffmpeg read the DASH manifest: every representation at its size and codec, every frame, no error", arguments: fixtures)
    func dashManifestDecodes(_ fixture: Fixture) throws {
        let made = try Self.make(fixture)
        defer { made.scratch.remove() }
        let stream = try made.stream
        #expect(stream.problems.isEmpty, "\(stream.problems)")
        let manifest = try #require(stream.dashManifestPath)
        #expect(manifest == made.directory + "/manifest.mpd")

        // ffprobe lists each stream twice (alone and in its program): one line per index.
        let probe = try CommandLineTool.checked("ffprobe", ["-v", "error", "-show_entries", "stream=index,codec_type,codec_name,width,height",
                                                            "-of", "csv=p=0", manifest])
        let lines: Set<String> = Set(probe.text.split(separator: "\n").map(String.init))
        let fields: [[String]] = lines.map { $0.split(separator: ",").map(String.init) }.filter { $0.count >= 3 }
        let streams = fields.sorted { (Int($0[0]) ?? 0) < (Int($1[0]) ?? 0) }
        let video = streams.filter { $0[2] == "video" }, audio = streams.filter { $0[2] == "audio" }
        #expect(video.map { "\($0[1]) \($0.dropFirst(3).joined(separator: "x"))" }.sorted() == ["h264 320x180", "h264 426x240", "h264 640x360"], "\(probe.text)")
        #expect(audio.map { $0[1] } == ["aac", "aac"], "\(probe.text)")

        // Each representation on its own, as a player plays one: decoded end to end, every frame.
        let sourceFrames = try CommandLineTool.videoFrameCount(made.scratch.path("source.mp4"))
        for (kind, count) in [("v", video.count), ("a", audio.count)] {
            for index in 0..<count {
                let selected = "\(kind):\(index)"
                let decode = try CommandLineTool.run("ffmpeg", ["-nostdin", "-v", "error", "-i", manifest, "-map", "0:" + selected, "-f", "null", "-"])
                #expect(decode.status == 0 && decode.stderr.isEmpty, "decoding \(selected) of \(manifest): \(decode.stderr)")
                guard kind == "v" else { continue }
                let counted = try CommandLineTool.videoFrameCount(manifest, stream: selected)
                #expect(counted == sourceFrames, "\(selected): \(counted) frames, source \(sourceFrames)")
            }
        }
    }

    @Test("the DASH manifest names the HLS segments, with the master's measurements and a timeline ffprobe agrees with", arguments: fixtures)
    func dashManifestTimeline(_ fixture: Fixture) throws {
        let made = try Self.make(fixture)
        defer { made.scratch.remove() }
        let stream = try made.stream
        let mpd = try MPD.read(try #require(stream.dashManifestPath))
        #expect(mpd.type == "static" && mpd.profiles == "urn:mpeg:dash:profile:isoff-live:2011")
        #expect(mpd.representations.map(\.id) == ["360p", "240p", "180p", "audio_128k", "audio_96k"], "\(mpd.representations.map(\.id))")
        let frame = 1 / (try #require(Rational(parsing: fixture.rate)?.value))
        let files = try FileManager.default.contentsOfDirectory(atPath: made.directory)
        var bandwidths: [String: Int] = [:]
        var trackEnd = 0.0
        for representation in mpd.representations {
            let isAudio = representation.contentType == "audio"
            let frameSeconds = isAudio ? 1024.0 / 48_000 : frame
            // Every file it names exists, and it names every segment written for the track.
            #expect(FileManager.default.fileExists(atPath: made.directory + "/" + representation.initialization), "\(representation.initialization)")
            let written = files.filter { $0.hasPrefix(representation.id + "_") && $0.hasSuffix(".m4s") }.sorted()
            #expect(representation.segments.map(\.name) == written, "\(representation.id): names \(representation.segments.map(\.name)), written \(written)")

            var sizes: [Int64] = [], durations: [Double] = []
            for segment in representation.segments {
                let path = made.directory + "/" + segment.name
                guard FileManager.default.fileExists(atPath: path) else { continue }
                let packets = try Self.packets(initSegment: made.directory + "/" + representation.initialization, segment: path,
                                               frameSeconds: frameSeconds, in: made.scratch)
                let start = try #require(packets.map(\.pts).min()), end = try #require(packets.map { $0.pts + $0.duration }.max())
                let timescale = Double(representation.timescale)
                #expect(abs(Double(segment.start) / timescale - start) <= frameSeconds, "\(segment.name): starts at \(Double(segment.start) / timescale), packets at \(start)")
                #expect(abs(Double(segment.duration) / timescale - (end - start)) <= frameSeconds,
                        "\(segment.name): lasts \(Double(segment.duration) / timescale), packets \(end - start)")
                sizes.append((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0)
                durations.append(end - start)
                trackEnd = max(trackEnd, end)
            }
            // bandwidth: the peak bit rate of any run of segments lasting 0.5-1.5 segment lengths
            // (RFC 8216's rule, vidpipe's function), fed the files' sizes and ffprobe's durations.
            let peak = Double(TrackMeasurement.peakBitRate(sizes: sizes, durations: durations, targetSeconds: stream.segmentSeconds))
            #expect(abs(Double(representation.bandwidth) - peak) / peak < 0.01, "\(representation.id): bandwidth \(representation.bandwidth), measured peak \(peak)")
            bandwidths[representation.id] = representation.bandwidth

            let probe = try CommandLineTool.ffprobe(made.directory + "/" + representation.id + ".m3u8")
            let track = try #require(probe.streams?.first { $0.codecType == (isAudio ? "audio" : "video") })
            if isAudio {
                #expect(track.codecName == "aac" && track.profile == "LC" && representation.codecs == "mp4a.40.2", "\(representation.codecs)")
                #expect(representation.channels == track.channels.map(String.init))
            } else {
                let variant = try #require(stream.variants.first { $0.name == representation.id })
                #expect(representation.codecs == variant.codecs.split(separator: ",").first.map(String.init), "\(representation.codecs) vs \(variant.codecs)")
                #expect(representation.width == track.width && representation.height == track.height)
                let declared = try #require(representation.frameRate.flatMap { Double($0) ?? Rational(parsing: $0)?.value }, "\(representation.frameRate ?? "-")")
                let measured = try #require(track.avgFrameRate.flatMap { Rational(parsing: $0) }?.value)
                #expect(abs(declared - measured) < 0.01, "\(representation.id): frameRate \(representation.frameRate ?? "-") vs ffprobe \(measured)")
            }
        }
        // The master playlist's BANDWIDTH is the same video and audio peaks added.
        for variant in stream.variants {
            let audio = try #require(stream.audio.first { $0.group == variant.audioGroup })
            #expect(variant.peakBitRate == (bandwidths[variant.name] ?? 0) + (bandwidths[(audio.playlist as NSString).deletingPathExtension] ?? 0))
        }
        let duration = try #require(Double(mpd.duration.dropFirst(2).dropLast()))
        #expect(abs(duration - trackEnd) <= frame, "mediaPresentationDuration \(mpd.duration), longest track ends at \(trackEnd)")
    }

    @Test("vidpipe's check names a file the DASH manifest names but nobody wrote, and a manifest that is not XML")
    func dashCheckFindsWhatTheManifestNamesWrongly() throws {
        let made = try Self.make(Self.fixtures[0])
        defer { made.scratch.remove() }
        let stream = try made.stream
        let manifest = try #require(stream.dashManifestPath)
        #expect(AdaptiveStreamCheck.problems(masterPath: stream.masterPath, dashManifestPath: manifest).isEmpty)

        // Numbering from 1 names one segment past each track's last; the HLS playlists are untouched.
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: #"startNumber="0""#, with: #"startNumber="1""#).write(toFile: manifest, atomically: true, encoding: .utf8)
        let mpd = try MPD.read(manifest)
        let problems = AdaptiveStreamCheck.problems(masterPath: stream.masterPath, dashManifestPath: manifest)
        let expected = try mpd.representations.map { "segment \(try #require($0.segments.last).name) of manifest.mpd is missing" }
        #expect(problems == expected, "\(problems)")

        try String(text.prefix(text.count / 2)).write(toFile: manifest, atomically: true, encoding: .utf8)
        let cut = AdaptiveStreamCheck.problems(masterPath: stream.masterPath, dashManifestPath: manifest)
        #expect(cut.count == 1 && cut[0].hasPrefix("DASH manifest manifest.mpd is not well-formed XML"), "\(cut)")
    }
}
