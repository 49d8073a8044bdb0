import Catalog
import Foundation
import Logging
import PostgresNIO

/// Runs the catalog's shared statements, and PostgreSQL's own (advisory locks), on one
/// leased connection.
struct PostgresStatements: CatalogConnection {
    let connection: PostgresConnection
    let logger: Logger

    var dialect: SQLDialect { .postgres }

    func execute(_ statement: CatalogStatement, table: String) async throws -> [PostgresColumns] {
        let (sql, values) = statement.rendered(for: .postgres)
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return try await run(PostgresQuery(unsafeSQL: sql, binds: bindings)).map { PostgresColumns(row: $0, table: table) }
    }

    /// Runs one statement and collects its rows, with errors as ``CatalogError``s.
    @discardableResult
    func run(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        // PostgresNIO drops a query written to a closed connection without ever answering
        // it: e.g. the next statement after a server restart's "terminating connection".
        guard !connection.isClosed else {
            throw CatalogError(.unavailable, "the connection to PostgreSQL closed (\(query.sql.prefix(60)))", isRetryable: true)
        }
        do {
            var collected: [PostgresRandomAccessRow] = []
            for try await row in try await connection.query(query, logger: logger) {
                collected.append(row.makeRandomAccess())
            }
            return collected
        } catch {
            throw CatalogError(postgres: error, sql: query.sql)
        }
    }
}

extension PostgresBindings {
    /// Binds a catalog value with its PostgreSQL type: BIGINT, DOUBLE PRECISION, BOOLEAN, and
    /// TIMESTAMPTZ at microsecond precision; JSON goes as text that the statement casts.
    mutating func append(_ value: CatalogValue) {
        switch value {
        case .null: appendNull()
        case .text(let text), .json(let text): append(text, context: .default)
        case .integer(let integer): append(integer, context: .default)
        case .real(let real): append(real, context: .default)
        case .boolean(let boolean): append(boolean, context: .default)
        case .timestamp(let date): append(PostgresTimestamp(date), context: .default)
        }
    }
}
