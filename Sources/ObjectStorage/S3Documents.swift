import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The few XML documents S3 answers with, read into flat values: an error's `Code` and
/// `Message`, a new multipart upload's `UploadId`, and a listing's objects and next token.
struct S3Document {
    /// Text of every element, by name, in document order (a listing repeats `Key`, `Size` …).
    private(set) var values: [String: [String]] = [:]

    init(_ bytes: [UInt8]) {
        let collector = Collector()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = collector
        _ = parser.parse()  // a malformed document leaves what was read before the fault
        values = collector.values
    }

    func first(_ name: String) -> String? { values[name]?.first }

    /// `<Contents>` entries of a ListObjectsV2 answer: key, size and ETag line up by position.
    var listedObjects: [(key: String, size: Int64, etag: String)] {
        let keys = values["Key"] ?? [], sizes = values["Size"] ?? [], etags = values["ETag"] ?? []
        return zip(keys, zip(sizes, etags + Array(repeating: "", count: max(0, keys.count - etags.count)))).map {
            (key: $0, size: Int64($1.0) ?? 0, etag: $1.1.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var values: [String: [String]] = [:]
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            values[elementName, default: []].append(text)
            text = ""
        }
    }
}
