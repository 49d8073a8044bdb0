import Foundation

/// What the test store holds, as the curl CLI sees it with its own SigV4 signing: the
/// oracle vidpipe's S3 client and its lake are checked against, never that client itself.
public struct S3Oracle: Sendable {
    /// `AWS_ENDPOINT_URL`, the keys and the region, as ``S3TestServer/variables()`` gives them.
    public let variables: [String: String]

    public init(variables: [String: String]) {
        self.variables = variables
    }

    /// The oracle of the store the test command started.
    public init() throws {
        self.init(variables: try S3TestServer.variables())
    }

    /// One stored object as the listing shows it.
    public struct Object: Sendable, Equatable {
        public var key: String
        public var size: Int64
    }

    /// The object's URL, path-style, its key percent-encoded.
    public func url(bucket: String, key: String = "") -> String {
        let encoded = key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))) ?? key
        return "\(variables["AWS_ENDPOINT_URL"]!)/\(bucket)" + (key.isEmpty ? "" : "/\(encoded)")
    }

    /// Runs curl with the store's credentials; throws unless it got a 2xx.
    @discardableResult
    public func curl(_ arguments: [String]) throws -> String {
        try CommandLineTool.checked("curl", signing + ["-f"] + arguments).text
    }

    public func createBucket(_ bucket: String) throws {
        try curl(["-X", "PUT", url(bucket: bucket)])
    }

    /// Whether the bucket exists (HEAD answers 200).
    public func bucketExists(_ bucket: String) throws -> Bool {
        try headStatus(bucket: bucket, key: "") == 200
    }

    /// The HTTP status of a HEAD of the object (404 when there is none).
    public func headStatus(bucket: String, key: String) throws -> Int {
        Int(try CommandLineTool.checked("curl", signing + ["-I", "-o", "/dev/null", "-w", "%{http_code}", url(bucket: bucket, key: key)]).text) ?? 0
    }

    /// Uploads the file at `path` as `s3://bucket/key`.
    public func put(_ path: String, bucket: String, key: String) throws {
        try curl(["-T", path, url(bucket: bucket, key: key)])
    }

    /// Uploads `text` as `s3://bucket/key`.
    public func put(text: String, bucket: String, key: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("s3-oracle-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        try put(file, bucket: bucket, key: key)
    }

    /// Downloads `s3://bucket/key` into a new file at `path`.
    public func get(bucket: String, key: String, to path: String) throws {
        try curl(["-o", path, url(bucket: bucket, key: key)])
    }

    /// Downloads the object an `s3://bucket/key` URI names into a new file at `path`.
    public func download(_ uri: String, to path: String) throws {
        let (bucket, key) = try Self.split(uri)
        try get(bucket: bucket, key: key, to: path)
    }

    /// Downloads every object under the folder an `s3://bucket/prefix` URI names into
    /// `directory`, each at its key's path below the prefix.
    ///
    /// - Returns: the relative paths downloaded, sorted.
    @discardableResult
    public func downloadFolder(_ uri: String, to directory: String) throws -> [String] {
        let (bucket, prefix) = try Self.split(uri.hasSuffix("/") ? uri : uri + "/")
        return try objects(bucket: bucket, prefix: prefix).map { object in
            let relative = String(object.key.dropFirst(prefix.count))
            let path = directory + "/" + relative
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try get(bucket: bucket, key: object.key, to: path)
            return relative
        }
    }

    public func delete(bucket: String, key: String) throws {
        try curl(["-X", "DELETE", url(bucket: bucket, key: key)])
    }

    /// Every object whose key starts with `prefix`, sorted by key, over all listing pages.
    public func objects(bucket: String, prefix: String = "") throws -> [Object] {
        var objects: [Object] = []
        var continuation: String?
        repeat {
            var parameters = ["list-type": "2", "prefix": prefix]
            parameters["continuation-token"] = continuation
            let page = try curl([url(bucket: bucket) + Self.query(parameters)])
            for entry in Self.values("Contents", in: page) {
                guard let key = Self.values("Key", in: entry).first, let size = Self.values("Size", in: entry).first.flatMap({ Int64($0) }) else { continue }
                objects.append(Object(key: Self.unescaped(key), size: size))
            }
            continuation = Self.values("IsTruncated", in: page).first == "true" ? Self.values("NextContinuationToken", in: page).first : nil
        } while continuation != nil
        return objects.sorted { $0.key < $1.key }
    }

    /// Keys listed under the bucket.
    public func listedKeys(_ bucket: String) throws -> [String] {
        try objects(bucket: bucket).map(\.key)
    }

    /// Ids of the multipart uploads open in the bucket under `prefix` (ListMultipartUploads).
    public func openUploads(_ bucket: String, prefix: String = "") throws -> [String] {
        try Self.values("Upload", in: curl([url(bucket: bucket) + Self.query(["uploads": "", "prefix": prefix])]))
            .compactMap { Self.values("UploadId", in: $0).first }
    }

    /// Part numbers the store holds for an open upload (ListParts).
    public func uploadedParts(bucket: String, key: String, uploadID: String) throws -> [String] {
        try Self.values("PartNumber", in: curl([url(bucket: bucket, key: key) + Self.query(["uploadId": uploadID])]))
    }

    /// SHA-256 of the object as curl fetches it.
    public func sha256(bucket: String, key: String) throws -> String {
        let fetched = FileManager.default.temporaryDirectory.appendingPathComponent("s3-oracle-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: fetched) }
        try get(bucket: bucket, key: key, to: fetched)
        return try CommandLineTool.sha256sum(fetched)
    }

    private var signing: [String] {
        ["-sS", "--aws-sigv4", "aws:amz:\(variables["AWS_REGION"] ?? "us-east-1"):s3",
         "--user", "\(variables["AWS_ACCESS_KEY_ID"]!):\(variables["AWS_SECRET_ACCESS_KEY"]!)", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    }

    private static func split(_ uri: String) throws -> (bucket: String, key: String) {
        guard uri.hasPrefix("s3://"), let slash = uri.dropFirst(5).firstIndex(of: "/") else {
            throw TestEnvironmentError("not an s3://bucket/key URI: \(uri)")
        }
        return (String(uri.dropFirst(5)[..<slash]), String(uri[uri.index(after: slash)...]))
    }

    /// A query string curl can sign: it signs the query as written, SigV4 wants it canonical,
    /// so the parameters go sorted and encoded with only unreserved characters left as they are.
    /// An empty prefix is left out; other empty values (`uploads=`) stay.
    private static func query(_ parameters: [String: String]) -> String {
        let unreserved = CharacterSet(charactersIn: "-._~").union(.alphanumerics)
        return "?" + parameters.filter { $0.key != "prefix" || !$0.value.isEmpty }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? $0.value)" }
            .joined(separator: "&")
    }

    /// The text of every `<name>` element of an XML answer, in order.
    private static func values(_ name: String, in xml: String) -> [String] {
        xml.components(separatedBy: "<\(name)>").dropFirst().compactMap { $0.components(separatedBy: "</\(name)>").first }
    }

    private static func unescaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
