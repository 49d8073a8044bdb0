import CCurl
import Execution
import Foundation

/// An S3 client on libcurl: streaming downloads hashed on the way, uploads in one request or
/// in parallel parts, listings, deletes. Every request is retried with backoff while its
/// failure is retryable (the store unreachable, a 5xx, a checksum mismatch).
public struct S3Client: Sendable {
    public let configuration: S3Configuration

    public init(configuration: S3Configuration) {
        self.configuration = configuration
    }

    /// An object as the store describes it.
    public struct ObjectInfo: Sendable, Equatable {
        public var location: S3Location
        public var size: Int64
        /// Without quotes.
        public var etag: String
    }

    /// What a download wrote: its size and SHA-256 (hex), computed as the bytes arrived.
    public struct Download: Sendable, Equatable {
        public var size: Int64
        public var sha256: String
    }

    // MARK: Objects

    /// Uploads the file at `path` to `location`: in one request below
    /// ``S3Configuration/multipartThreshold``, else in parts, ``S3Configuration/uploadConcurrency``
    /// at a time. Each request's MD5 is compared with the ETag the store answers, and the
    /// object's size with the file's; a multipart upload that fails is aborted, so no part
    /// of it stays in the store and nothing becomes visible.
    @discardableResult
    public func upload(file path: String, to location: S3Location, contentType: String = "application/octet-stream") async throws(S3Error) -> ObjectInfo {
        let size: Int64
        do {
            size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw S3Error(.storageLocalIO, "cannot read \(path): \(error.localizedDescription)")
        }
        if size < Int64(configuration.multipartThreshold) {
            let response = try await send("PUT", location, headers: ["Content-Type: \(contentType)"],
                                          body: .file(path: path, offset: 0, length: size), verifyUploadETag: true)
            return ObjectInfo(location: location, size: size, etag: Self.etag(response))
        }
        return try await MultipartUpload(client: self, file: path, size: size, location: location, contentType: contentType).run()
    }

    /// One file of a batch for ``upload(_:)``.
    public struct FileUpload: Sendable {
        public var path: String
        public var location: S3Location
        public var contentType: String

        public init(path: String, location: S3Location, contentType: String = "application/octet-stream") {
            self.path = path
            self.location = location
            self.contentType = contentType
        }
    }

    /// Uploads every file, ``S3Configuration/uploadConcurrency`` at a time, each checked as
    /// ``upload(file:to:contentType:)`` checks it. A job's outputs are many small objects:
    /// sent one after another, the store's latency per request adds up to most of the
    /// upload's time. The first failure is thrown once the uploads in flight have ended.
    /// Returns what the store holds for each file, in no particular order.
    @discardableResult
    public func upload(_ files: [FileUpload]) async throws(S3Error) -> [ObjectInfo] {
        let width = max(1, configuration.uploadConcurrency)
        do {
            return try await withThrowingTaskGroup(of: ObjectInfo.self) { group in
                var pending = files[...]
                var stored: [ObjectInfo] = []
                func startNext() {
                    guard let file = pending.popFirst() else { return }
                    group.addTask { try await upload(file: file.path, to: file.location, contentType: file.contentType) }
                }
                for _ in 0..<width { startNext() }
                while let info = try await group.next() {
                    stored.append(info)
                    startNext()
                }
                return stored
            }
        } catch let error as S3Error {
            throw error
        } catch {
            throw S3Error(.storageUnreachable, "uploading \(files.count) files to \(files.first?.location.description ?? "the store"): interrupted (\(error))")
        }
    }

    /// Uploads `bytes` in one request (reports, playlists, small JSON documents).
    @discardableResult
    public func upload(bytes: [UInt8], to location: S3Location, contentType: String) async throws(S3Error) -> ObjectInfo {
        let response = try await send("PUT", location, headers: ["Content-Type: \(contentType)"], body: .bytes(bytes), verifyUploadETag: true)
        return ObjectInfo(location: location, size: Int64(bytes.count), etag: Self.etag(response))
    }

    /// Streams `location` into a new file at `path` (replacing it), computing its SHA-256 on
    /// the way; checks the size against the `Content-Length` the store announced.
    public func download(_ location: S3Location, to path: String) async throws(S3Error) -> Download {
        try await retrying("GET \(location)") { () throws(S3Error) -> Download in
            guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
                throw S3Error(.storageLocalIO, "cannot create \(path) for the download of \(location)")
            }
            defer { try? file.close() }
            let response = try await perform("GET", url: url(location), headers: [], body: .none, downloadTo: file, location: location)
            if let announced = response.headers["content-length"].flatMap(Int64.init), announced != response.received {
                throw S3Error(.storageIntegrity, "GET \(location): received \(response.received) of \(announced) bytes", isRetryable: true)
            }
            return Download(size: response.received, sha256: response.receivedSHA256)
        }
    }

    /// The object's size and ETag, or nil when there is no such object.
    public func head(_ location: S3Location) async throws(S3Error) -> ObjectInfo? {
        do {
            let response = try await send("HEAD", location)
            return ObjectInfo(location: location, size: response.headers["content-length"].flatMap(Int64.init) ?? 0, etag: Self.etag(response))
        } catch where error.code == .storageObjectMissing {
            return nil
        }
    }

    /// Deletes the object; deleting one that does not exist succeeds, as in S3.
    public func delete(_ location: S3Location) async throws(S3Error) {
        _ = try await send("DELETE", location)
    }

    /// Every object under `prefix` (taken as a key prefix, not a folder), all pages.
    public func list(_ prefix: S3Location) async throws(S3Error) -> [ObjectInfo] {
        var objects: [ObjectInfo] = []
        var token: String?
        repeat {
            // Parameters in sorted order: libcurl signs the query as given.
            var query = [("continuation-token", token), ("list-type", "2"), ("prefix", prefix.key)].compactMap { name, value in
                value.map { "\(name)=\(Self.encode($0, keepSlash: false))" }
            }
            query.sort()
            let bucket = S3Location(bucket: prefix.bucket, key: "")
            let response = try await send("GET", bucket, query: query.joined(separator: "&"))
            let document = S3Document(response.body)
            objects += document.listedObjects.map {
                ObjectInfo(location: S3Location(bucket: prefix.bucket, key: $0.key), size: $0.size, etag: $0.etag)
            }
            token = document.first("IsTruncated") == "true" ? document.first("NextContinuationToken") : nil
        } while token != nil
        return objects
    }

    /// Checks, with one small listing, that the bucket of `prefix` exists and the credentials
    /// may read it: a service's start-up check, so a wrong key or a missing bucket is one
    /// clear error rather than a failure inside every job. Not retried for a refusal.
    public func checkAccess(_ prefix: S3Location) async throws(S3Error) {
        let query = "list-type=2&max-keys=1&prefix=" + Self.encode(prefix.key, keepSlash: false)
        do {
            _ = try await send("GET", S3Location(bucket: prefix.bucket, key: ""), query: query)
        } catch where error.code == .storageObjectMissing {
            // A 404 without an S3 error document: the bucket is not there.
            throw S3Error(.storageBucketMissing, "GET \(prefix): the bucket does not exist at \(configuration.endpoint); create it or fix the s3:// location")
        }
    }

    /// Creates a bucket (tests and first-time setup); one that exists and is ours is fine.
    public func createBucket(_ name: String) async throws(S3Error) {
        do {
            _ = try await send("PUT", S3Location(bucket: name, key: ""))
        } catch where error.message.contains("BucketAlreadyOwnedByYou") {
            return
        }
    }

    // MARK: Requests

    /// One request with retries; the response of a 2xx, else the error it maps to.
    func send(_ method: String, _ location: S3Location, query: String = "", headers: [String] = [],
              body: CurlHTTPTransfer.Body = .none, verifyUploadETag: Bool = false) async throws(S3Error) -> CurlHTTPTransfer.Response {
        let context = "\(method) \(location)"
        return try await retrying(context) { () throws(S3Error) -> CurlHTTPTransfer.Response in
            let response = try await perform(method, url: url(location, query: query), headers: headers, body: body, downloadTo: nil, location: location)
            if verifyUploadETag, Self.etag(response) != response.sentMD5 {
                throw S3Error(.storageIntegrity, "\(context): the store's ETag \(Self.etag(response)) is not the MD5 \(response.sentMD5) of what was sent",
                              isRetryable: true)
            }
            return response
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or runs out of attempts.
    func retrying<Value>(_ context: String, _ attempt: () async throws(S3Error) -> Value) async throws(S3Error) -> Value {
        var number = 1
        while true {
            do {
                return try await attempt()
            } catch where error.isRetryable && number < configuration.attempts {
                try? await Task.sleep(for: configuration.backoff.delay(afterAttempt: number))
                number += 1
            }
        }
    }

    private func perform(_ method: String, url: String, headers: [String], body: CurlHTTPTransfer.Body, downloadTo file: FileHandle?,
                         location: S3Location) async throws(S3Error) -> CurlHTTPTransfer.Response {
        let transfer = try CurlHTTPTransfer(method: method, url: url, headers: headers, body: body, downloadTo: file, configuration: configuration)
        let response = await withTaskCancellationHandler {
            await DedicatedThread.run(name: "vidpipe-s3") { transfer.perform() }
        } onCancel: {
            transfer.cancel()
        }
        if let error = Self.error(of: response, context: "\(method) \(location)", location: location, configuration: configuration) { throw error }
        return response
    }

    /// Nil for a 2xx; else what went wrong, in words a person can act on.
    static func error(of response: CurlHTTPTransfer.Response, context: String, location: S3Location, configuration: S3Configuration) -> S3Error? {
        let endpoint = configuration.endpoint
        guard response.curlCode == CURLE_OK else {
            let reason = response.curlDetail.isEmpty ? String(cString: curl_easy_strerror(response.curlCode)) : response.curlDetail
            if response.curlCode == CURLE_ABORTED_BY_CALLBACK {
                return S3Error(.storageUnreachable, "\(context): cancelled", isRetryable: false)
            }
            if response.curlCode == CURLE_READ_ERROR || response.curlCode == CURLE_WRITE_ERROR {
                return S3Error(.storageLocalIO, "\(context): a local file could not be read or written (\(reason))")
            }
            return S3Error(.storageUnreachable, "\(context): the object store at \(endpoint) did not answer (\(reason)); is it running and is AWS_ENDPOINT_URL right?",
                           isRetryable: true)
        }
        guard !(200..<300).contains(response.status) else { return nil }
        let document = S3Document(response.body)
        let code = document.first("Code") ?? "HTTP \(response.status)"
        let detail = [code, document.first("Message")].compactMap { $0 }.joined(separator: ": ")
        switch (response.status, code) {
        case (403, _), (_, "InvalidAccessKeyId"), (_, "SignatureDoesNotMatch"):
            return S3Error(.storageCredentialsRejected,
                           "\(context): the object store at \(endpoint) refused the access key \(configuration.accessKeyID) (\(detail)); check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION")
        case (_, "NoSuchBucket"):
            return S3Error(.storageBucketMissing,
                           "\(context): the bucket \(location.bucket) does not exist at \(endpoint) (\(detail)); create it or fix the s3:// location")
        case (404, _):
            return S3Error(.storageObjectMissing, "\(context): no such object (\(detail))")
        case (429, _), (500..., _):
            return S3Error(.storageServerError, "\(context): the object store failed (\(detail))", isRetryable: true)
        default:
            return S3Error(.storageRequestRejected, "\(context): the object store refused the request (\(detail))")
        }
    }

    /// The request URL: path-style or virtual-hosted, key segments percent-encoded the way
    /// SigV4 canonicalises them.
    func url(_ location: S3Location, query: String = "") -> String {
        let path = "/" + Self.encode(location.key, keepSlash: true)
        let base: String
        switch configuration.addressing {
        case .path:
            base = configuration.endpoint + "/" + location.bucket + (location.key.isEmpty ? "" : path)
        case .virtualHosted:
            let parts = configuration.endpoint.components(separatedBy: "://")
            base = parts.count == 2 ? "\(parts[0])://\(location.bucket).\(parts[1])\(path)" : configuration.endpoint + path
        }
        return query.isEmpty ? base : base + "?" + query
    }

    /// RFC 3986 unreserved characters stay, everything else is %XX (as SigV4 wants).
    static func encode(_ text: String, keepSlash: Bool) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: "/") where keepSlash:
                encoded.append("/")
            default:
                encoded += String(format: "%%%02X", byte)
            }
        }
        return encoded
    }

    static func etag(_ response: CurlHTTPTransfer.Response) -> String {
        (response.headers["etag"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
}
