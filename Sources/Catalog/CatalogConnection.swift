/// One database connection that runs a ``CatalogStatement`` with bound parameters: the
/// part each database adapts, so that the catalog's SQL and rules (migrations, gold
/// batches, reads, the notification outbox) are written once, in extensions of this protocol.
///
/// Transactions, locking and connection handling stay with each catalog: the shared
/// functions run inside whatever transaction their caller opened.
package protocol CatalogConnection: Sendable {
    /// The row type the database returns, read through ``CatalogColumns``.
    associatedtype Columns: CatalogColumns & Sendable

    var dialect: SQLDialect { get }

    /// Runs `statement` and returns its rows, each read as a row of `table` (named in
    /// ``CatalogError/Code/corruptRow`` messages). Throws ``CatalogError``s only.
    func execute(_ statement: CatalogStatement, table: String) async throws -> [Columns]
}

/// A record stored as one row of one table.
package protocol StoredRecord: Sendable {
    static var table: String { get }
    init(columns: some CatalogColumns) throws
}

extension CatalogConnection {
    /// Runs a statement whose rows, if any, are not records.
    @discardableResult
    package func execute(_ statement: CatalogStatement) async throws -> [Columns] {
        try await execute(statement, table: "result")
    }

    /// Runs a `SELECT *` (or `RETURNING *`) statement and reads each row as a `Record`.
    package func fetch<Record: StoredRecord>(_ type: Record.Type, _ statement: CatalogStatement) async throws -> [Record] {
        try await execute(statement, table: Record.table).map { try Record(columns: $0) }
    }
}

extension VideoRecord: StoredRecord { package static let table = "videos" }
extension StreamRecord: StoredRecord { package static let table = "streams" }
extension JobRecord: StoredRecord { package static let table = "jobs" }
extension TaskRunRecord: StoredRecord { package static let table = "task_runs" }
extension QCFindingRecord: StoredRecord { package static let table = "qc_findings" }
extension NotificationRecord: StoredRecord { package static let table = "notifications" }
extension RenditionRecord: StoredRecord { package static let table = "renditions" }
extension SceneCutRecord: StoredRecord { package static let table = "scene_cuts" }
extension FingerprintRecord: StoredRecord { package static let table = "fingerprints" }
