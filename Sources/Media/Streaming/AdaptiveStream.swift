import Foundation

/// The adaptive stream written beside the renditions: one HLS master playlist over CMAF
/// tracks (and, when asked for, a DASH manifest over the same files), what it declares, and
/// what the check of the written files found.
public struct AdaptiveStreamResult: Codable, Sendable, Equatable {
    /// One rung's video track, as the master playlist declares it.
    public struct Variant: Codable, Sendable, Equatable {
        public var name: String
        /// The media playlist, relative to the master playlist.
        public var playlist: String
        public var width: Int
        public var height: Int
        /// `BANDWIDTH`: peak bit rate of video plus its audio, bits/s.
        public var peakBitRate: Int
        /// `AVERAGE-BANDWIDTH`: average bit rate of video plus its audio, bits/s.
        public var averageBitRate: Int
        /// `CODECS`, e.g. `avc1.64001f,mp4a.40.2`.
        public var codecs: String
        /// `FRAME-RATE`: video frames over the track's duration.
        public var frameRate: Double
        /// `AUDIO`: the group of the audio track played with it; nil without audio.
        public var audioGroup: String?
    }

    /// One audio track (an `#EXT-X-MEDIA:TYPE=AUDIO` rendition, alone in its group).
    public struct AudioTrack: Codable, Sendable, Equatable {
        public var group: String
        /// `NAME`, from the encoder's nominal bit rate.
        public var name: String
        public var playlist: String
        public var codecs: String
        public var peakBitRate: Int
        public var averageBitRate: Int
        public var channels: Int
    }

    /// Where the master playlist was written.
    public var masterPath: String
    /// Where the DASH manifest was written (`manifest.mpd` beside the master); nil when none was asked for.
    public var dashManifestPath: String?

    /// The DASH manifest's file name, in the master playlist's folder.
    public static let dashManifestName = "manifest.mpd"
    public var segmentSeconds: Double
    public var variants: [Variant]
    public var audio: [AudioTrack]
    /// Every missing, truncated or unreadable file the check found; empty when the stream is whole.
    public var problems: [String]

    public var verified: Bool { problems.isEmpty }
}

/// Writes the master playlist over the tracks the rungs wrote, with every attribute measured
/// from the files (segment sizes and durations, the codec boxes of the init segments), and
/// from the same measurements the DASH manifest when asked for; then checks the whole stream
/// with ``AdaptiveStreamCheck``.
enum AdaptiveStreamWriter {
    /// A rung whose encode succeeded.
    struct Rung {
        var plan: RenditionPlan
        var videoPackets: Int
    }

    static let masterName = "master.m3u8"

    /// `rungs` holds at least one rung.
    static func write(directory: String, segmentSeconds: Double, writesDASHManifest: Bool, rungs: [Rung]) -> AdaptiveStreamResult {
        let masterPath = directory + "/" + masterName
        var result = AdaptiveStreamResult(masterPath: masterPath, segmentSeconds: segmentSeconds, variants: [], audio: [], problems: [])
        var dash = DASHManifest(segmentSeconds: segmentSeconds, video: [], audio: [])
        do {
            for rung in rungs where rung.plan.writesAudioTrack {
                let name = rung.plan.audioTrackName
                // A source without audio leaves no audio playlist.
                guard FileManager.default.fileExists(atPath: directory + "/" + name + ".m3u8") else { continue }
                let track = try TrackMeasurement(directory: directory, name: name)
                guard let codecs = CodecStrings.mp4a(initSegment: track.initSegment) else {
                    throw StreamWriteFailure("cannot read the AAC configuration (esds) of \(name)_init.mp4")
                }
                result.audio.append(AdaptiveStreamResult.AudioTrack(
                    group: "aac-\(rung.plan.audioBitRate / 1000)k", name: "AAC \(rung.plan.audioBitRate / 1000) kb/s", playlist: name + ".m3u8", codecs: codecs,
                    peakBitRate: track.peakBitRate, averageBitRate: track.averageBitRate, channels: rung.plan.audioChannels))
                dash.audio.append(DASHManifest.Representation(id: name, codecs: codecs, kind: .audio(channels: rung.plan.audioChannels), track: track))
            }
            for rung in rungs {
                let track = try TrackMeasurement(directory: directory, name: rung.plan.name)
                guard let videoCodecs = CodecStrings.avc(initSegment: track.initSegment) else {
                    throw StreamWriteFailure("cannot read the H.264 configuration (avcC) of \(rung.plan.name)_init.mp4")
                }
                // The audio at this rung's bit rate, else any (its own rung may have failed).
                let audio = result.audio.first { $0.group == "aac-\(rung.plan.audioBitRate / 1000)k" } ?? result.audio.first
                let frameRate = track.durationSeconds > 0 ? Double(rung.videoPackets) / track.durationSeconds : 0
                result.variants.append(AdaptiveStreamResult.Variant(
                    name: rung.plan.name, playlist: rung.plan.name + ".m3u8", width: rung.plan.width, height: rung.plan.height,
                    peakBitRate: track.peakBitRate + (audio?.peakBitRate ?? 0),
                    averageBitRate: track.averageBitRate + (audio?.averageBitRate ?? 0),
                    codecs: ([videoCodecs] + (audio.map { [$0.codecs] } ?? [])).joined(separator: ","),
                    frameRate: frameRate, audioGroup: audio?.group))
                dash.video.append(DASHManifest.Representation(
                    id: rung.plan.name, codecs: videoCodecs,
                    kind: .video(width: rung.plan.width, height: rung.plan.height, frameRate: frameRate), track: track))
            }
            try masterPlaylist(result).write(toFile: masterPath, atomically: true, encoding: .utf8)
        } catch {
            // Named by file: the folder is the job's staging, gone once the job ends.
            result.problems.append("cannot write the master playlist \((masterPath as NSString).lastPathComponent): \(error)")
            return result
        }
        if writesDASHManifest {
            let path = directory + "/" + AdaptiveStreamResult.dashManifestName
            do {
                try dash.xml().write(toFile: path, atomically: true, encoding: .utf8)
                result.dashManifestPath = path
            } catch {
                result.problems.append("cannot write the DASH manifest \(AdaptiveStreamResult.dashManifestName): \(error)")
                return result
            }
        }
        result.problems = AdaptiveStreamCheck.problems(masterPath: masterPath, dashManifestPath: result.dashManifestPath)
        return result
    }

    static func masterPlaylist(_ stream: AdaptiveStreamResult) -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for track in stream.audio {
            lines.append(#"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="\#(track.group)",NAME="\#(track.name)",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="\#(track.channels)",URI="\#(track.playlist)""#)
        }
        for variant in stream.variants {
            var attributes = [
                "BANDWIDTH=\(variant.peakBitRate)", "AVERAGE-BANDWIDTH=\(variant.averageBitRate)",
                "RESOLUTION=\(variant.width)x\(variant.height)", #"CODECS="\#(variant.codecs)""#,
                String(format: "FRAME-RATE=%.3f", variant.frameRate),
            ]
            if let group = variant.audioGroup { attributes.append(#"AUDIO="\#(group)""#) }
            lines.append("#EXT-X-STREAM-INF:" + attributes.joined(separator: ","))
            lines.append(variant.playlist)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

struct StreamWriteFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Bit rates of one track, from its media playlist and the sizes of its segment files.
struct TrackMeasurement {
    let playlist: MediaPlaylist
    let initSegment: [UInt8]
    /// Ticks per second of the track's timestamps (its `mdhd`).
    let timescale: Int
    /// When the first segment's first sample is shown, in ``timescale`` ticks (B-frames put it
    /// after the decode time the fragment starts at); nil when its header cannot be read
    /// (only the DASH manifest needs it).
    let startTicks: Int?
    let durationSeconds: Double
    let averageBitRate: Int
    let peakBitRate: Int

    init(directory: String, name: String) throws {
        let playlist = try MediaPlaylist.read(path: directory + "/" + name + ".m3u8")
        guard let initURI = playlist.initSegmentURI, let initData = FileManager.default.contents(atPath: directory + "/" + initURI) else {
            throw StreamWriteFailure("\(name).m3u8 names no readable init segment")
        }
        initSegment = Array(initData)
        guard let timescale = InitSegmentBoxes.mediaTimescale(initSegment) else {
            throw StreamWriteFailure("cannot read the timescale (mdhd) of \(initURI)")
        }
        self.playlist = playlist
        self.timescale = timescale
        // A fragment's header (a few kB; 16 bytes a sample) comes before its samples.
        startTicks = playlist.segments.first
            .flatMap { try? ReadOnlyFile(path: directory + "/" + $0.uri).read(at: 0, count: 1 << 20) }
            .flatMap(InitSegmentBoxes.firstPresentationTicks)
        var sizes: [Int64] = []
        for segment in playlist.segments {
            // Gone since the muxer wrote it: say so as the check would, not as a Foundation error.
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + segment.uri) else {
                throw StreamWriteFailure("segment \(segment.uri) of \(name).m3u8 is missing")
            }
            sizes.append((attributes[.size] as? NSNumber)?.int64Value ?? 0)
        }
        durationSeconds = playlist.durationSeconds
        averageBitRate = durationSeconds > 0 ? Int((Double(sizes.reduce(0, +)) * 8 / durationSeconds).rounded(.up)) : 0
        peakBitRate = Self.peakBitRate(sizes: sizes, durations: playlist.segments.map(\.durationSeconds),
                                       targetSeconds: Double(playlist.targetDurationSeconds ?? 1))
    }

    /// The peak segment bit rate as RFC 8216 defines it: the highest bit rate of any run of
    /// contiguous segments lasting 0.5 to 1.5 target durations (so a short last segment
    /// does not count alone). A stream too short for any such run counts whole.
    static func peakBitRate(sizes: [Int64], durations: [Double], targetSeconds: Double) -> Int {
        var peak = 0.0
        for start in sizes.indices {
            var bytes: Int64 = 0
            var seconds = 0.0
            for index in start..<sizes.count {
                bytes += sizes[index]
                seconds += durations[index]
                if seconds > 1.5 * targetSeconds { break }
                if seconds >= 0.5 * targetSeconds { peak = max(peak, Double(bytes) * 8 / seconds) }
            }
        }
        if peak == 0, case let total = durations.reduce(0, +), total > 0 {
            peak = Double(sizes.reduce(0, +)) * 8 / total
        }
        return Int(peak.rounded(.up))
    }
}
