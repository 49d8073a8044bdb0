import Foundation

/// An HLS media playlist as the `hls` muxer writes it: the init segment, then each media
/// segment with its `#EXTINF` duration.
struct MediaPlaylist: Equatable {
    struct Segment: Equatable {
        var uri: String
        var durationSeconds: Double
    }

    var targetDurationSeconds: Int?
    var initSegmentURI: String?
    var segments: [Segment]
    /// Whether `#EXT-X-ENDLIST` closes it (a finished VOD playlist).
    var isComplete: Bool

    var durationSeconds: Double { segments.reduce(0) { $0 + $1.durationSeconds } }

    init(text: String) {
        var segments: [Segment] = []
        var pendingDuration: Double?
        targetDurationSeconds = nil
        initSegmentURI = nil
        isComplete = false
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("#EXTINF:") {
                pendingDuration = Double(line.dropFirst("#EXTINF:".count).prefix { $0 != "," })
            } else if line.hasPrefix("#EXT-X-TARGETDURATION:") {
                targetDurationSeconds = Int(line.dropFirst("#EXT-X-TARGETDURATION:".count))
            } else if line.hasPrefix("#EXT-X-MAP:") {
                initSegmentURI = PlaylistAttributes.value(of: "URI", in: line)
            } else if line == "#EXT-X-ENDLIST" {
                isComplete = true
            } else if !line.isEmpty, !line.hasPrefix("#") {
                segments.append(Segment(uri: line, durationSeconds: pendingDuration ?? 0))
                pendingDuration = nil
            }
        }
        self.segments = segments
    }

    static func read(path: String) throws -> MediaPlaylist {
        MediaPlaylist(text: try String(contentsOfFile: path, encoding: .utf8))
    }
}

/// The media playlists a master playlist names: variant streams and `#EXT-X-MEDIA` renditions.
struct MasterPlaylist {
    var mediaPlaylistURIs: [String]

    init(text: String) {
        var uris: [String] = []
        for line in text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("#EXT-X-MEDIA:"), let uri = PlaylistAttributes.value(of: "URI", in: line) {
                uris.append(uri)
            } else if !line.isEmpty, !line.hasPrefix("#") {
                uris.append(line)
            }
        }
        mediaPlaylistURIs = uris
    }
}

enum PlaylistAttributes {
    /// The value of `NAME=` in a tag's attribute list, unquoted.
    static func value(of name: String, in line: String) -> String? {
        guard let range = line.range(of: name + "=") else { return nil }
        let rest = line[range.upperBound...]
        if rest.hasPrefix("\"") {
            return String(rest.dropFirst().prefix { $0 != "\"" })
        }
        return String(rest.prefix { $0 != "," })
    }
}
