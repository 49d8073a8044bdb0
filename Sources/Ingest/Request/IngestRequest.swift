import Foundation
import Notifications

/// A request to ingest one video file: what `vidpipe produce` writes to the inbox (and,
/// in service mode, to Kafka). Documented in README "Request format".
public struct IngestRequest: Codable, Sendable, Equatable {
    /// The payload layout this build reads and writes.
    public static let currentSchemaVersion = 1
    /// Largest request file or message accepted, so one bad sender cannot exhaust memory.
    public static let maximumEncodedBytes = 1 << 20

    public var schemaVersion: Int
    /// Unique per request; redeliveries of one request share it.
    public var requestID: String
    /// Absolute path of the video, or its `s3://bucket/key`, inside the daemon's allowed roots.
    public var path: String
    /// Who to tell, in addition to `EMAIL_RECEIVER`.
    public var email: String?
    public var title: String?
    /// Free-form metadata, stored with the video like a sidecar.
    public var metadata: JSONValue?
    public var submittedAt: Date
    /// What happened to the file (the folder watcher's events). Optional in schema 1:
    /// absent means ``FileEvent/created``, so older producers stay valid.
    public var event: FileEvent?

    /// What a request says happened to its file.
    public enum FileEvent: String, Codable, Sendable, CaseIterable {
        /// A new file: the whole pipeline, a `ready` mail.
        case created
        /// A file that changed: the whole pipeline, a `modified` mail.
        case modified
        /// A file that is gone: no media work, a `deleted` mail and a processed event.
        case deleted
    }

    /// The event, with the schema's default applied.
    public var fileEvent: FileEvent { event ?? .created }

    public init(path: String, requestID: String = UUID().uuidString.lowercased(), email: String? = nil, title: String? = nil,
                metadata: JSONValue? = nil, submittedAt: Date = Date(), event: FileEvent? = nil) {
        self.schemaVersion = Self.currentSchemaVersion
        self.requestID = requestID
        self.path = path
        self.email = email
        self.title = title
        self.metadata = metadata
        self.submittedAt = submittedAt
        self.event = event
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", requestID = "request_id", path, email, title, metadata
        case submittedAt = "submitted_at", event
    }

    /// Decodes and checks a request, with an error that says which part is wrong.
    public static func decode(_ data: Data, origin: String) throws(IngestError) -> IngestRequest {
        guard data.count <= maximumEncodedBytes else {
            throw IngestError(.invalidRequest, path: origin, "request is \(data.count) bytes; the limit is \(maximumEncodedBytes) (1 MiB)",
                              hint: "keep \"metadata\" small; put large metadata in the <name>.json sidecar next to the video")
        }
        guard String(data: data, encoding: .utf8) != nil else {
            throw IngestError(.invalidRequest, path: origin, "request is not UTF-8 text")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw IngestError(.invalidRequest, path: origin, "request is not valid JSON: \(Self.reason(error))")
        }
        if let duplicate = DuplicateKeyScanner.firstDuplicate(in: data) {
            throw IngestError(.invalidRequest, path: origin, "field \"\(duplicate)\" appears twice; JSON readers disagree on which one counts",
                              hint: "send each field once")
        }
        guard let fields = object as? [String: Any] else {
            throw IngestError(.invalidRequest, path: origin, "request must be a JSON object, found \(type(of: object))")
        }
        guard let version = fields["schema_version"] as? Int else {
            throw IngestError(.invalidRequest, path: origin, "request has no integer \"schema_version\"")
        }
        guard version == currentSchemaVersion else {
            throw IngestError(.invalidRequest, path: origin, "unknown schema_version \(version); this build reads \(currentSchemaVersion)",
                              hint: "upgrade vidpipe or send schema_version \(currentSchemaVersion)")
        }
        let request: IngestRequest
        do { request = try JSONDecoder.vidpipe.decode(IngestRequest.self, from: data) } catch {
            throw IngestError(.invalidRequest, path: origin, "request fields are wrong: \(Self.reason(error))")
        }
        try request.validate(origin: origin)
        return request
    }

    /// Checks what a decoder cannot: non-empty id, absolute path, a deliverable address.
    public func validate(origin: String) throws(IngestError) {
        guard !requestID.isEmpty, requestID.count <= 200 else {
            throw IngestError(.invalidRequest, path: origin, "request_id must be 1–200 characters")
        }
        try Self.validatePath(path, origin: origin)
        // The address rule mail delivery uses, so a request cannot carry an address that
        // would only fail later, when its notification is written.
        if let email, (try? EmailAddress(email)) == nil {
            throw IngestError(.invalidRequest, path: origin, "email \"\(email)\" is not an address")
        }
    }

    /// An absolute local path, or an `s3://bucket/key` naming one object: no other URL, not
    /// relative, no NUL byte (which would cut it short for every C call that reads it).
    private static func validatePath(_ path: String, origin: String) throws(IngestError) {
        if let nul = path.utf8.firstIndex(of: 0) {
            throw IngestError(.invalidRequest, path: origin,
                              "field \"path\" holds a NUL byte (\\u0000) at byte \(path.utf8.distance(from: path.utf8.startIndex, to: nul)); no file name can contain one",
                              hint: "send the path without it")
        }
        if path.hasPrefix("s3://") {
            _ = try ObjectSource.location(of: path, origin: origin)
            return
        }
        if let scheme = path.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) {
            throw IngestError(.invalidRequest, path: origin,
                              "field \"path\" is a URL (\(path[scheme].dropLast(3))://…), not a file path: vidpipe reads local files and s3://bucket/key objects only",
                              hint: "download the file into an allowed root and send its absolute path")
        }
        guard path.hasPrefix("/") else {
            throw IngestError(.invalidRequest, path: origin, "field \"path\" must be an absolute path (starting with /) or an s3://bucket/key, got \"\(path)\"",
                              hint: "send the full path; the daemon's working folder is not the sender's")
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "field \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\": \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty ? context.debugDescription
                : "field \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\": \(context.debugDescription)"
        default: (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
        }
    }
}
