import Execution

/// Where the store is and how to talk to it: the standard AWS variables (`AWS_ENDPOINT_URL`,
/// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) parsed by
/// the configuration target, plus transfer tuning with defaults.
public struct S3Configuration: Sendable, Equatable, CustomStringConvertible {
    /// How a bucket appears in a request's URL.
    public enum Addressing: String, Sendable, CaseIterable {
        /// `https://host/bucket/key`: what self-hosted stores (SeaweedFS, MinIO) expect.
        case path
        /// `https://bucket.host/key`: AWS's default.
        case virtualHosted = "virtual"
    }

    /// Scheme, host and port, no trailing slash. Default: AWS's regional endpoint.
    public var endpoint: String
    public var region: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var addressing: Addressing
    /// Files of at least this size go up in parts. Default 64 MiB.
    public var multipartThreshold: Int = 64 << 20
    /// Size of one part (S3's minimum is 5 MiB). Default 16 MiB.
    public var partSize: Int = 16 << 20
    /// Parts in flight at once. Default 4.
    public var uploadConcurrency: Int = 4
    /// Attempts per request (a part, a small object) that fails retryably. Default 4.
    public var attempts: Int = 4
    public var backoff = BackoffPolicy(initial: .milliseconds(200), maximum: .seconds(5), jitter: 0.5)
    /// How long a failed multipart upload keeps trying to abort itself while the store does
    /// not answer. Longer than a request's attempts: an upload left open keeps its parts in
    /// the store, and self-hosted stores do not expire them. Default 60 s.
    public var abortPatience: Duration = .seconds(60)
    public var connectTimeout: Duration = .seconds(10)
    /// A transfer moving no bytes for this long is cut and retried. Default 30 s.
    public var stallTimeout: Duration = .seconds(30)

    public init(endpoint: String? = nil, region: String = "us-east-1", accessKeyID: String, secretAccessKey: String,
                sessionToken: String? = nil, addressing: Addressing? = nil) {
        self.region = region
        self.endpoint = (endpoint ?? "https://s3.\(region).amazonaws.com").trimmingTrailingSlashes
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        // A custom endpoint is most likely a self-hosted store, which wants path-style URLs.
        self.addressing = addressing ?? (endpoint == nil ? .virtualHosted : .path)
    }

    /// Never shows the secret key or the session token.
    public var description: String {
        "S3Configuration(endpoint: \(endpoint), region: \(region), access key: \(accessKeyID), secret: <redacted>, addressing: \(addressing.rawValue))"
    }
}

extension String {
    var trimmingTrailingSlashes: String {
        var text = self
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
