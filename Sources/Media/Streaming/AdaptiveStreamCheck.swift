import Foundation

/// vidpipe's own check of a written stream: every playlist the master names exists and is
/// finished, and every init and media segment it lists exists and holds whole ISO-BMFF
/// boxes (a segment cut short ends inside its last box; one emptied has none).
public enum AdaptiveStreamCheck {
    /// One line per fault, each naming the file; empty when the stream is whole.
    public static func problems(masterPath: String) -> [String] {
        let directory = (masterPath as NSString).deletingLastPathComponent
        guard let text = try? String(contentsOfFile: masterPath, encoding: .utf8) else {
            return ["master playlist \(masterPath) is missing or unreadable"]
        }
        let uris = MasterPlaylist(text: text).mediaPlaylistURIs
        guard !uris.isEmpty else { return ["master playlist \(masterPath) names no media playlist"] }
        return uris.flatMap { problems(mediaPlaylist: $0, in: directory) }
    }

    private static func problems(mediaPlaylist uri: String, in directory: String) -> [String] {
        guard let playlist = try? MediaPlaylist.read(path: directory + "/" + uri) else {
            return ["media playlist \(uri) is missing or unreadable"]
        }
        var found: [String] = []
        if !playlist.isComplete { found.append("media playlist \(uri) has no #EXT-X-ENDLIST: it was not finished") }
        if playlist.segments.isEmpty { found.append("media playlist \(uri) lists no segment") }
        if let initURI = playlist.initSegmentURI {
            if let problem = segmentProblem(directory + "/" + initURI, name: "init segment \(initURI) of \(uri)", required: ["ftyp", "moov"]) {
                found.append(problem)
            }
        } else {
            found.append("media playlist \(uri) names no init segment (#EXT-X-MAP)")
        }
        for segment in playlist.segments {
            if let problem = segmentProblem(directory + "/" + segment.uri, name: "segment \(segment.uri) of \(uri)", required: ["moof", "mdat"]) {
                found.append(problem)
            }
        }
        return found
    }

    private static func segmentProblem(_ path: String, name: String, required: [String]) -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return "\(name) is missing" }
        guard let file = try? ReadOnlyFile(path: path) else { return "\(name) cannot be read" }
        guard file.size > 0 else { return "\(name) is empty (0 bytes)" }
        guard let boxes = OpenFailureDiagnosis.topLevelBoxes(of: file) else { return "\(name) is not an MP4 fragment" }
        if boxes.bytesPastEnd > 0 {
            return "\(name) is truncated: its last box (\(boxes.types.last ?? "?")) needs \(boxes.bytesPastEnd) more bytes than the file holds"
        }
        let missing = required.filter { !boxes.types.contains($0) }
        guard missing.isEmpty else {
            return "\(name) is incomplete: no \(missing.joined(separator: ", ")) box (has \(boxes.types.joined(separator: ", ")))"
        }
        return nil
    }
}
