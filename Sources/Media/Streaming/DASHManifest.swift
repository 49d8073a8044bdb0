import Foundation

/// A static MPEG-DASH manifest (`manifest.mpd`, ISO/IEC 23009-1 live profile) over the CMAF
/// tracks the HLS playlists list: the same init segments and `.m4s` files, named by a
/// `SegmentTemplate` whose `SegmentTimeline` holds each segment's duration.
///
/// Everything in it comes from the ``TrackMeasurement``s and codec strings the master
/// playlist was written from; nothing is measured a second way.
struct DASHManifest {
    /// One track as a DASH Representation.
    struct Representation {
        enum Kind {
            case video(width: Int, height: Int, frameRate: Double)
            case audio(channels: Int)
        }

        /// The track's name (`360p`, `audio_128k`), also its media playlist's.
        var id: String
        /// The track's own codec string (`avc1.64001f` or `mp4a.40.2`).
        var codecs: String
        var kind: Kind
        var track: TrackMeasurement
    }

    /// The target segment length: a client that buffers this long before playing can fetch
    /// every later run of segments at `bandwidth`, the peak of any run of 0.5-1.5 of them.
    var segmentSeconds: Double
    var video: [Representation]
    var audio: [Representation]

    /// The manifest's text; throws when a track's files are not the ones its template would name.
    func xml() throws -> String {
        // Until the last track's last sample ends.
        let duration = (video + audio).map { Double($0.track.startTicks ?? 0) / Double($0.track.timescale) + $0.track.durationSeconds }.max() ?? 0
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" profiles="urn:mpeg:dash:profile:isoff-live:2011" "#
                + #"minBufferTime="\#(Self.duration(segmentSeconds.rounded(.up)))" mediaPresentationDuration="\#(Self.duration(duration))">"#,
            #"  <Period id="0" start="PT0S">"#,
        ]
        if !video.isEmpty {
            // Every rung cuts at the same keyframes (each an IDR), so a client can switch at any segment.
            lines.append(#"    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">"#)
            for representation in video { lines += try Self.lines(representation) }
            lines.append("    </AdaptationSet>")
        }
        if !audio.isEmpty {
            lines.append(#"    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">"#)
            for representation in audio { lines += try Self.lines(representation) }
            lines.append("    </AdaptationSet>")
        }
        lines += ["  </Period>", "</MPD>"]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func lines(_ representation: Representation) throws -> [String] {
        let track = representation.track
        let id = xmlEscaped(representation.id)
        var attributes = #"id="\#(id)" bandwidth="\#(track.peakBitRate)" codecs="\#(xmlEscaped(representation.codecs))""#
        var channels: String?
        switch representation.kind {
        case let .video(width, height, frameRate):
            attributes += #" width="\#(width)" height="\#(height)" frameRate="\#(Self.frameRate(frameRate))""#
        case let .audio(count):
            channels = #"        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="\#(count)"/>"#
        }
        guard let startTicks = track.startTicks else {
            throw StreamWriteFailure("cannot read the first sample's timing (tfdt, trun) of \(track.playlist.segments.first?.uri ?? representation.id)")
        }
        guard let initSegment = track.playlist.initSegmentURI else {
            throw StreamWriteFailure("\(representation.id).m3u8 names no init segment")
        }
        let pattern = HLSTrackWriter.segmentNamePattern(track: representation.id)
        for (number, segment) in track.playlist.segments.enumerated() where segment.uri != String(format: pattern, number) {
            throw StreamWriteFailure("\(representation.id).m3u8 lists \(segment.uri) as segment \(number), not the \(String(format: pattern, number)) the DASH template names")
        }
        let media = pattern.replacingOccurrences(of: "%05d", with: "$Number%05d$")
        return [#"      <Representation \#(attributes)>"#] + (channels.map { [$0] } ?? []) + [
            #"        <SegmentTemplate timescale="\#(track.timescale)" initialization="\#(xmlEscaped(initSegment))" media="\#(xmlEscaped(media))" startNumber="0">"#,
            "          <SegmentTimeline>" + timeline(track.playlist.segments, startTicks: startTicks, timescale: track.timescale).joined() + "</SegmentTimeline>",
            "        </SegmentTemplate>",
            "      </Representation>",
        ]
    }

    /// `S` elements: the first with its start, runs of equal durations folded into `r`.
    /// Each segment starts at the first one's presentation time plus the playlist's running
    /// sum of `#EXTINF`s, in whole ticks, so rounding never accumulates.
    static func timeline(_ segments: [MediaPlaylist.Segment], startTicks: Int, timescale: Int) -> [String] {
        var starts = [startTicks]
        var elapsed = 0.0
        for segment in segments {
            elapsed += segment.durationSeconds
            starts.append(startTicks + Int((elapsed * Double(timescale)).rounded()))
        }
        var runs: [(duration: Int, repeats: Int)] = []
        for (start, end) in zip(starts, starts.dropFirst()) {
            if let last = runs.last, last.duration == end - start {
                runs[runs.count - 1].repeats += 1
            } else {
                runs.append((end - start, 0))
            }
        }
        return runs.enumerated().map { index, run in
            #"<S\#(index == 0 ? #" t="\#(startTicks)""# : "") d="\#(run.duration)"\#(run.repeats > 0 ? #" r="\#(run.repeats)""# : "")/>"#
        }
    }

    /// An `xs:duration` in seconds, to the millisecond.
    static func duration(_ seconds: Double) -> String { String(format: "PT%.3fS", seconds) }

    /// DASH's `FrameRateType` is a whole number or a fraction: the measured rate to the
    /// master playlist's three decimals, reduced.
    static func frameRate(_ rate: Double) -> String {
        var (numerator, denominator) = (Int((rate * 1000).rounded()), 1000)
        var (a, b) = (numerator, denominator)
        while b != 0 { (a, b) = (b, a % b) }
        if a > 1 { (numerator, denominator) = (numerator / a, denominator / a) }
        return denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)"
    }

    private static func xmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
