import Foundation

/// The oracle for what an S3-compatible store holds: the `aws` CLI (awscli, installed with
/// the store into `.deps/venv`), never vidpipe's own client.
public struct S3Oracle: Sendable {
    /// `AWS_ENDPOINT_URL`, the keys and the region, as ``S3TestServer/variables()`` gives them.
    public let variables: [String: String]

    public init(variables: [String: String]) {
        self.variables = variables
    }

    /// One stored object as the listing shows it.
    public struct Object: Sendable, Equatable {
        public var key: String
        public var size: Int64
    }

    /// Every object whose key starts with `prefix`, sorted by key.
    public func objects(bucket: String, prefix: String = "") throws -> [Object] {
        let listing = try aws(["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--output", "json"])
        guard !listing.stdout.isEmpty,
              let document = try JSONSerialization.jsonObject(with: listing.stdout) as? [String: Any] else { return [] }
        let contents = document["Contents"] as? [[String: Any]] ?? []
        return contents.compactMap { entry in
            guard let key = entry["Key"] as? String, let size = entry["Size"] as? NSNumber else { return nil }
            return Object(key: key, size: size.int64Value)
        }.sorted { $0.key < $1.key }
    }

    /// Downloads `s3://bucket/key` to `path`.
    public func download(_ uri: String, to path: String) throws {
        try aws(["s3", "cp", "--only-show-errors", uri, path])
    }

    public func createBucket(_ name: String) throws {
        try aws(["s3", "mb", "s3://\(name)"])
    }

    /// Whether the bucket exists (HEAD answers 200).
    public func bucketExists(_ name: String) throws -> Bool {
        try aws(["s3api", "head-bucket", "--bucket", name], checked: false).status == 0
    }

    /// Uploads `path` as `s3://bucket/key`.
    public func upload(_ path: String, to uri: String) throws {
        try aws(["s3", "cp", "--only-show-errors", path, uri])
    }

    /// Multipart uploads begun and neither completed nor aborted under `prefix`.
    public func unfinishedUploads(bucket: String, prefix: String = "") throws -> [String] {
        let listing = try aws(["s3api", "list-multipart-uploads", "--bucket", bucket, "--prefix", prefix, "--output", "json"])
        guard !listing.stdout.isEmpty,
              let document = try JSONSerialization.jsonObject(with: listing.stdout) as? [String: Any] else { return [] }
        return (document["Uploads"] as? [[String: Any]] ?? []).compactMap { $0["Key"] as? String }
    }

    @discardableResult
    private func aws(_ arguments: [String], checked: Bool = true) throws -> ToolResult {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(variables) { _, new in new }
        environment["AWS_DEFAULT_REGION"] = variables["AWS_REGION"] ?? "us-east-1"
        let tool = PackageDirectory.path(".deps/venv/bin/aws")
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw TestEnvironmentError("no aws CLI at \(tool): install awscli into .deps/venv (scripts/services/s3 does)")
        }
        let command = [tool, "--endpoint-url", variables["AWS_ENDPOINT_URL"] ?? ""] + arguments
        return checked ? try CommandLineTool.checked(command[0], Array(command.dropFirst()), environment: environment)
            : try CommandLineTool.run(command[0], Array(command.dropFirst()), environment: environment)
    }
}
