import Execution

/// An error from a ``Catalog``, with a code to branch on and whether trying again may help.
public struct CatalogError: RetryableError, CodedError, Sendable, CustomStringConvertible {
    /// What went wrong, as an extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A migration failed, or the store's schema is newer than this build.
        public static let migrationFailed = Code("migration_failed")
        /// A statement failed for a reason other than the ones below.
        public static let queryFailed = Code("query_failed")
        /// A row broke a constraint (unique, foreign key, not null, check).
        public static let constraintViolation = Code("constraint_violation")
        /// The store was locked by another writer for longer than the busy timeout, or (PostgreSQL)
        /// the transaction lost a serialization or deadlock conflict.
        public static let busy = Code("busy")
        /// The batch's request id is already recorded for another job.
        public static let duplicateRequest = Code("duplicate_request")
        /// A stored row could not be read back into a record.
        public static let corruptRow = Code("corrupt_row")
        /// The store could not be opened or created.
        public static let openFailed = Code("open_failed")
        /// The store could not be reached: the connection was refused or lost, or the server is
        /// shutting down or restarting. Retryable: a reconnect may succeed.
        public static let unavailable = Code("unavailable")
        /// The catalog was used after ``Catalog/close()``.
        public static let closed = Code("closed")
    }

    public var code: Code
    public var message: String
    /// True when the same call may succeed later (e.g. the store was busy).
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
