import Foundation

/// The test store (``S3TestServer``) seen through the curl CLI, which signs with its own
/// SigV4: what tests put, read back, list and delete, independently of vidpipe's client.
public struct S3Oracle: Sendable {
    /// The store's `AWS_*` variables, for the vidpipe processes under test.
    public let variables: [String: String]

    public init() throws {
        variables = try S3TestServer.variables()
    }

    /// The object's URL, path-style, the key percent-encoded.
    public func url(bucket: String, key: String = "") -> String {
        let encoded = key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))) ?? key
        return "\(variables["AWS_ENDPOINT_URL"]!)/\(bucket)" + (key.isEmpty ? "" : "/\(encoded)")
    }

    public func createBucket(_ bucket: String) throws {
        try curl(["-X", "PUT", url(bucket: bucket)])
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

    public func delete(bucket: String, key: String) throws {
        try curl(["-X", "DELETE", url(bucket: bucket, key: key)])
    }

    @discardableResult
    private func curl(_ arguments: [String]) throws -> String {
        let credentials = "\(variables["AWS_ACCESS_KEY_ID"]!):\(variables["AWS_SECRET_ACCESS_KEY"]!)"
        return try CommandLineTool.checked("curl", ["-sS", "-f", "--aws-sigv4", "aws:amz:\(variables["AWS_REGION"] ?? "us-east-1"):s3",
                                                    "--user", credentials, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"] + arguments).text
    }
}
