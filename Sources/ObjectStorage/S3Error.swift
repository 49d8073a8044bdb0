import Execution

/// An error from the object store, with a code to branch on and whether trying again may help.
public struct S3Error: RetryableError, CodedError, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of stable snake_case codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The store could not be reached, or the connection broke or timed out. Retryable.
        public static let storageUnreachable = Code("storage_unreachable")
        /// The store refused the credentials or the signature (403). Fix the AWS_* variables.
        public static let storageCredentialsRejected = Code("storage_credentials_rejected")
        /// The bucket does not exist.
        public static let storageBucketMissing = Code("storage_bucket_missing")
        /// The object does not exist.
        public static let storageObjectMissing = Code("storage_object_missing")
        /// What the store holds is not what was sent (size or checksum differ). Retryable.
        public static let storageIntegrity = Code("storage_integrity")
        /// The store failed on its side (5xx) or asked to slow down (429, 503). Retryable.
        public static let storageServerError = Code("storage_server_error")
        /// Any other refusal (a 4xx the store explains in its message).
        public static let storageRequestRejected = Code("storage_request_rejected")
        /// A local file could not be read or written.
        public static let storageLocalIO = Code("storage_local_io")
        /// An `s3://` URI or a setting is malformed.
        public static let storageInvalidLocation = Code("storage_invalid_location")
    }

    public var code: Code
    public var message: String
    public var isRetryable: Bool
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, isRetryable: Bool = false, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.isRetryable = isRetryable
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }
}
