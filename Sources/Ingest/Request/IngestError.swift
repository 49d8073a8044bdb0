import Execution
import Foundation
import Media

/// Why a request or its file cannot be ingested: one distinct code per cause, a message
/// naming the file and what is wrong, and a hint saying what to do.
///
/// Codes are stable strings: they land in the catalog, the job log, the CLI's `--json`
/// report and dead-letter messages, where people count and filter by them.
public struct IngestError: Error, Sendable, CustomStringConvertible, RetryableError, CodedError {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidRequest = Code(rawValue: "invalid_request")
        public static let pathTraversal = Code(rawValue: "path_traversal")
        public static let outsideAllowedRoots = Code(rawValue: "outside_allowed_roots")
        public static let symlinkEscape = Code(rawValue: "symlink_escape")
        public static let fileNotFound = Code(rawValue: "file_not_found")
        /// The path is longer than the system's `PATH_MAX` (or a name than `NAME_MAX`).
        public static let pathTooLong = Code(rawValue: "path_too_long")
        /// The file name was not UTF-8, so the path vidpipe received names no file.
        public static let invalidFileName = Code(rawValue: "invalid_file_name")
        public static let notRegularFile = Code(rawValue: "not_regular_file")
        public static let notReadable = Code(rawValue: "not_readable")
        public static let emptyFile = Code(rawValue: "empty_file")
        public static let fileTooLarge = Code(rawValue: "file_too_large")
        public static let invalidSidecar = Code(rawValue: "invalid_sidecar")
        public static let missingSidecar = Code(rawValue: "missing_sidecar")
        public static let fileChanged = Code(rawValue: "file_changed")
        public static let ioError = Code(rawValue: "io_error")
        /// The lake's disk has no room for the file (retryable: space can be freed).
        public static let diskFull = Code(rawValue: "disk_full")
        public static let policyRejected = Code(rawValue: "policy_rejected")
        /// vidpipe's check of the HLS stream it wrote found a playlist or segment missing,
        /// empty or truncated (the message names each one).
        public static let streamOutputInvalid = Code(rawValue: "stream_output_invalid")
        /// An `s3://` source, but no credentials for the object store are configured.
        public static let objectStorageNotConfigured = Code(rawValue: "object_storage_not_configured")
        public static let internalError = Code(rawValue: "internal_error")
        /// Not an ingest failure: the job was cut short (shutdown) and runs again later.
        public static let interrupted = Code(rawValue: "interrupted")
        /// Not an ingest failure: the catalog, the lake or the mail server stayed unreachable
        /// longer than the outage tolerance; the job is left unrecorded and runs again later.
        public static let infrastructureUnavailable = Code(rawValue: "infrastructure_unavailable")
    }

    public var code: Code
    /// The file at fault (the request's path as given).
    public var path: String
    public var message: String
    /// What the sender can do about it.
    public var hint: String?
    /// Transient I/O and storage trouble is worth another attempt; bad input never is.
    public var isRetryable: Bool
    /// The error this one carries over, e.g. a ``MediaError`` from the probe.
    public var underlying: (any Error)?

    public init(_ code: Code, path: String, _ message: String, hint: String? = nil, isRetryable: Bool = false) {
        self.code = code
        self.path = path
        self.message = message
        self.hint = hint
        self.isRetryable = isRetryable
    }

    /// Carries a media failure over with its own code (`unrecognized_format`, `truncated`, …)
    /// and retry flag, keeping it as ``underlying``.
    public init(_ error: MediaError) {
        // Media messages start with the path; this type prints it once, in front.
        let message = error.message.hasPrefix(error.path + ": ") ? String(error.message.dropFirst(error.path.count + 2)) : error.message
        self.init(Code(rawValue: error.code.rawValue), path: error.path, message, isRetryable: error.isRetryable)
        underlying = error
    }

    /// Which file, what is wrong, what to do: the text people read in the CLI and mail.
    public var explanation: String {
        hint.map { "\(path): \(message) — \($0)" } ?? "\(path): \(message)"
    }

    public var description: String { "\(explanation) [\(code)]" }
}

extension IngestError {
    /// Describes any error a job can end with, for the catalog, job log and CLI.
    static func describe(_ error: any Error) -> (code: String, message: String) {
        switch error {
        case let error as IngestError: (error.code.rawValue, error.explanation)
        case let error as MediaError: describe(IngestError(error))
        default: (Code.internalError.rawValue, String(describing: error))
        }
    }
}
