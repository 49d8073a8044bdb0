import Foundation

/// The `<name>.json` metadata file that may travel next to a video.
public struct Sidecar: Sendable, Codable, Equatable {
    /// Where it was found; nil when the metadata came only with the request.
    public var path: String?
    /// The validated JSON object, compact and key-sorted.
    public var json: String

    /// Largest sidecar read: metadata, not media.
    public static let maximumBytes = 1 << 20

    /// Candidate locations for a video's sidecar: `clip.json`, then `clip.mp4.json`; beside
    /// the object for an `s3://` video.
    public static func candidates(for videoPath: String) -> [String] {
        guard videoPath.hasPrefix("s3://") else {
            let url = URL(fileURLWithPath: videoPath)
            return [url.deletingPathExtension().appendingPathExtension("json").path, videoPath + ".json"]
        }
        // String surgery on the last segment: path APIs would fold the `//` of the scheme.
        let slash = videoPath.lastIndex(of: "/") ?? videoPath.startIndex
        let name = videoPath[videoPath.index(after: slash)...]
        let stem = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : videoPath[..<$0] } ?? videoPath[...]
        return [stem + ".json", videoPath + ".json"]
    }

    /// Finds and validates the sidecar of `video`, merging in metadata sent with the
    /// request (request fields win). Returns nil when there is neither.
    static func load(for video: ValidatedFile, requestMetadata: JSONValue?, validator: FileValidator, confined: Bool) throws(IngestError) -> Sidecar? {
        let directoryOfRequest = (video.requestedPath as NSString).deletingLastPathComponent
        let name = (video.requestedPath as NSString).lastPathComponent
        let found = candidates(for: directoryOfRequest + "/" + name).first { FileManager.default.fileExists(atPath: $0) }
        var contents: (path: String, data: Data)?
        if let found {
            let file = try validateFile(found, validator: validator, confined: confined)
            guard file.sizeBytes <= maximumBytes else {
                throw IngestError(.invalidSidecar, path: found, "sidecar is \(file.sizeBytes) bytes; the limit is \(maximumBytes)")
            }
            guard let data = FileManager.default.contents(atPath: file.resolvedPath) else {
                throw IngestError(.notReadable, path: found, "cannot read the sidecar", isRetryable: true)
            }
            contents = (found, data)
        }
        return try merged(found: contents, requestMetadata: requestMetadata)
    }

    /// The sidecar found at `found.path` (its bytes already read) merged with the request's
    /// metadata (request fields win); nil when there is neither.
    static func merged(found: (path: String, data: Data)?, requestMetadata: JSONValue?) throws(IngestError) -> Sidecar? {
        var fields: [String: JSONValue] = [:]
        if let found { fields = try parse(found.data, path: found.path) }
        if case .object(let extra)? = requestMetadata {
            fields.merge(extra) { _, fromRequest in fromRequest }
        }
        guard found != nil || requestMetadata != nil else { return nil }
        return Sidecar(path: found?.path, json: JSONValue.object(fields).jsonText)
    }

    /// The sidecar file passes the same checks as a video, but what is wrong with it is
    /// reported as the sidecar's fault (`invalid_sidecar`), not as if the video were empty
    /// or missing. Transient read trouble keeps its own code and is retried.
    private static func validateFile(_ path: String, validator: FileValidator, confined: Bool) throws(IngestError) -> ValidatedFile {
        do {
            return try validator.validate(path: path, confined: confined)
        } catch where !error.isRetryable {
            throw IngestError(.invalidSidecar, path: path, "the metadata sidecar \(error.message) [\(error.code)]",
                              hint: "fix or remove the sidecar, then send the video again")
        }
    }

    /// The metadata fields of a sidecar file's bytes, or an `invalid_sidecar` error naming
    /// `path` and what is wrong: not JSON, or JSON that is not an object.
    public static func parse(_ data: Data, path: String) throws(IngestError) -> [String: JSONValue] {
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw IngestError(.invalidSidecar, path: path, "sidecar is not valid JSON: \(Self.reason(error))",
                              hint: "fix or remove the sidecar, then send the video again")
        }
        guard case .object(let object) = value else {
            throw IngestError(.invalidSidecar, path: path, "sidecar must hold a JSON object",
                              hint: "write the metadata as {\"key\": value, …}")
        }
        return object
    }

    private static func reason(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return String(describing: error)
    }
}
