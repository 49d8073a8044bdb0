import Execution

/// An error from building or delivering an email, with a code to branch on and whether trying
/// again may help.
public struct MailError: RetryableError, CodedError, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of stable snake_case codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// An address is not a plain ASCII `local@domain`.
        public static let invalidAddress = Code("invalid_address")
        /// A message field would make an invalid or ambiguous message (e.g. a line break in a header).
        public static let invalidMessage = Code("invalid_message")
        /// The outbox folder or file could not be written.
        public static let outboxWriteFailed = Code("outbox_write_failed")
        /// The SMTP server could not be reached or the connection broke (refused, unresolvable,
        /// timed out, reset). Retryable: an outage only delays mail.
        public static let smtpUnavailable = Code("smtp_unavailable")
        /// The SMTP server answered with an error reply; retryable for 4xx (transient), not
        /// for 5xx (permanent).
        public static let smtpRejected = Code("smtp_rejected")
        /// The server refused the SMTP credentials.
        public static let smtpAuthenticationFailed = Code("smtp_authentication_failed")
        /// TLS could not be set up: no STARTTLS offered where it is required, or the
        /// certificate did not verify.
        public static let smtpTLSFailed = Code("smtp_tls_failed")
        /// Any other libcurl failure.
        public static let smtpFailed = Code("smtp_failed")
    }

    public var code: Code
    public var message: String
    /// True when the same call may succeed later (e.g. a full disk, an SMTP outage).
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
