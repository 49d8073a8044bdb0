import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// vidpipe's own check of a written stream: every playlist the master names exists and is
/// finished, and every init and media segment it lists exists and holds whole ISO-BMFF
/// boxes (a segment cut short ends inside its last box; one emptied has none). With a DASH
/// manifest, the same for every file its segment templates and timelines name.
public enum AdaptiveStreamCheck {
    /// One line per fault, each naming the file; empty when the stream is whole.
    public static func problems(masterPath: String, dashManifestPath: String? = nil) -> [String] {
        let directory = (masterPath as NSString).deletingLastPathComponent
        guard let text = try? String(contentsOfFile: masterPath, encoding: .utf8) else {
            return ["master playlist \(masterPath) is missing or unreadable"]
        }
        let uris = MasterPlaylist(text: text).mediaPlaylistURIs
        guard !uris.isEmpty else { return ["master playlist \(masterPath) names no media playlist"] }
        return uris.flatMap { problems(mediaPlaylist: $0, in: directory) } + (dashManifestPath.map(problems(dashManifest:)) ?? [])
    }

    private static func problems(dashManifest path: String) -> [String] {
        let name = (path as NSString).lastPathComponent
        let directory = (path as NSString).deletingLastPathComponent
        let manifest: DASHSegmentNames
        do {
            manifest = try DASHSegmentNames(path: path)
        } catch {
            return ["DASH manifest \(name) \(error)"]
        }
        guard !manifest.representations.isEmpty else { return ["DASH manifest \(name) names no representation"] }
        var found: [String] = []
        for representation in manifest.representations {
            if representation.segments.isEmpty { found.append("representation \(representation.id) of \(name) names no segment") }
            if representation.initSegment == nil { found.append("representation \(representation.id) of \(name) names no init segment") }
            found += problems(initSegment: representation.initSegment, segments: representation.segments, namedBy: name, in: directory)
        }
        return found
    }

    private static func problems(mediaPlaylist uri: String, in directory: String) -> [String] {
        guard let playlist = try? MediaPlaylist.read(path: directory + "/" + uri) else {
            return ["media playlist \(uri) is missing or unreadable"]
        }
        var found: [String] = []
        if !playlist.isComplete { found.append("media playlist \(uri) has no #EXT-X-ENDLIST: it was not finished") }
        if playlist.segments.isEmpty { found.append("media playlist \(uri) lists no segment") }
        if playlist.initSegmentURI == nil { found.append("media playlist \(uri) names no init segment (#EXT-X-MAP)") }
        return found + problems(initSegment: playlist.initSegmentURI, segments: playlist.segments.map(\.uri), namedBy: uri, in: directory)
    }

    /// The faults of the files one playlist or representation names, each line naming the
    /// file and `source`.
    private static func problems(initSegment: String?, segments: [String], namedBy source: String, in directory: String) -> [String] {
        let initProblem = initSegment.flatMap {
            segmentProblem(directory + "/" + $0, name: "init segment \($0) of \(source)", required: ["ftyp", "moov"])
        }
        return (initProblem.map { [$0] } ?? []) + segments.compactMap {
            segmentProblem(directory + "/" + $0, name: "segment \($0) of \(source)", required: ["moof", "mdat"])
        }
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

/// The files a DASH manifest names, per Representation: its `SegmentTemplate`'s
/// initialization, and the media template expanded for every segment its `SegmentTimeline`
/// counts (`$Number$`, `$Number%0Nd$` and `$RepresentationID$`), read with an XML parser.
struct DASHSegmentNames {
    struct Representation {
        var id: String
        var initSegment: String?
        var segments: [String]
    }

    var representations: [Representation]

    struct ReadFailure: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String) throws(ReadFailure) {
        guard let parser = XMLParser(contentsOf: URL(fileURLWithPath: path)) else {
            throw ReadFailure(description: "is missing or unreadable")
        }
        let reader = Reader()
        parser.delegate = reader
        guard parser.parse() else {
            throw ReadFailure(description: "is not well-formed XML (line \(parser.lineNumber)): \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
        // The parser accepts a document that stops short; a whole manifest closes its root.
        guard reader.closedMPD else { throw ReadFailure(description: "is not well-formed XML: it ends before </MPD> (cut short?)") }
        representations = reader.representations
    }

    /// Collects each Representation's template and its timeline's segment count.
    private final class Reader: NSObject, XMLParserDelegate {
        var representations: [Representation] = []
        private(set) var closedMPD = false
        private var current: (id: String, template: [String: String], count: Int)?

        func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            switch element {
            case "Representation": current = (attributes["id"] ?? "?", [:], 0)
            case "SegmentTemplate": current?.template = attributes
            // One segment, plus `r` more of the same duration.
            case "S": current?.count += 1 + max(0, Int(attributes["r"] ?? "0") ?? 0)
            default: break
            }
        }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            if element == "MPD" { closedMPD = true }
            guard element == "Representation", let current else { return }
            let first = Int(current.template["startNumber"] ?? "1") ?? 1
            let segments = current.template["media"].map { media in
                (first..<(first + current.count)).map { Self.expand(media, number: $0, id: current.id) }
            } ?? []
            representations.append(Representation(
                id: current.id, initSegment: current.template["initialization"].map { Self.expand($0, number: first, id: current.id) },
                segments: segments))
            self.current = nil
        }

        static func expand(_ template: String, number: Int, id: String) -> String {
            var text = template.replacingOccurrences(of: "$RepresentationID$", with: id)
                .replacingOccurrences(of: "$Number$", with: String(number))
            // `$Number%05d$`: the number zero-padded to a width (the only format DASH allows).
            while let start = text.range(of: "$Number%"), let end = text[start.upperBound...].range(of: "$") {
                let width = text[start.upperBound..<end.lowerBound]
                guard width.hasSuffix("d"), let digits = Int("0" + width.dropLast()) else { break }
                let plain = String(number)
                text.replaceSubrange(start.lowerBound..<end.upperBound, with: String(repeating: "0", count: max(0, digits - plain.count)) + plain)
            }
            return text
        }
    }
}
