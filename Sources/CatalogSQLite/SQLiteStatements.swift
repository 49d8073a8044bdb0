import Catalog
import SQLiteNIO

/// Runs the catalog's shared statements on one SQLite connection. ``SQLiteCatalog`` hands
/// one out only to the call that holds the connection.
struct SQLiteStatements: CatalogConnection {
    let connection: SQLiteConnection

    var dialect: SQLDialect { .sqlite }

    func execute(_ statement: CatalogStatement, table: String) async throws -> [SQLiteColumns] {
        let (sql, values) = statement.rendered(for: .sqlite)
        return try await run(sql, values.map(SQLiteData.init)).map { SQLiteColumns(row: $0, table: table) }
    }

    /// Runs SQL of this module's own (transaction control, PRAGMAs), with errors as ``CatalogError``s.
    @discardableResult
    func run(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            return try await connection.query(sql, binds)
        } catch let error as SQLiteError {
            throw CatalogError(sqlite: error, sql: sql)
        } catch {
            throw CatalogError(.queryFailed, "\(error) in: \(sql)")
        }
    }
}

extension CatalogError {
    init(sqlite error: SQLiteError, sql: String, file: String = #fileID, line: Int = #line) {
        let statement = sql.split(separator: "\n").first.map(String.init) ?? sql
        let message = "\(error) in: \(statement)"
        switch error.reason {
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked:
            self.init(.busy, message, isRetryable: true, file: file, line: line)
        case .constraint, .constraintCheckFailed, .constraintCommitHookFailed, .constraintForeignKeyFailed,
             .constraintUserFunctionFailed, .constraintNotNullFailed, .constraintPrimaryKeyFailed,
             .constraintTriggerFailed, .constraintUniqueFailed, .constraintVirtualTableFailed,
             .constraintUniqueRowIDFailed, .constraintUpdateTriggerDeletedRow, .constraintStrictDataTypeFailed:
            self.init(.constraintViolation, message, file: file, line: line)
        default:
            self.init(.queryFailed, message, file: file, line: line)
        }
    }
}
