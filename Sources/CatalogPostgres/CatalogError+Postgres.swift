import Catalog
import PostgresNIO

extension CatalogError {
    /// Maps an error from PostgresNIO to a ``CatalogError`` the scheduler can branch on.
    ///
    /// Retryable: lost or refused connections, a server shutting down or restarting,
    /// serialization failures and deadlocks. The message holds the server's message and
    /// SQLSTATE and the statement's first line, never bound values or credentials.
    init(postgres error: any Error, sql: String, file: String = #fileID, line: Int = #line) {
        let statement = sql.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? sql
        switch error {
        case let error as CatalogError:
            self = error
        case let error as PSQLError:
            self.init(psql: error, statement: statement, file: file, line: line)
        case let error as PostgresDecodingError:
            self.init(.corruptRow, "column \(error.columnName) cannot be read as \(error.targetType): \(error.code) in: \(statement)",
                      file: file, line: line)
        case _ where String(describing: type(of: error)) == "ConnectionPoolError":
            // The pool gave up opening connections (its circuit breaker tripped). The type lives
            // in PostgresNIO's internal pool module, which this target cannot import.
            self.init(.unavailable, "no connection to PostgreSQL: \(error) in: \(statement)", isRetryable: true, file: file, line: line)
        case is ChannelError, is IOError:
            self.init(.unavailable, "connection to PostgreSQL failed: \(error) in: \(statement)", isRetryable: true,
                      file: file, line: line)
        default:
            self.init(.queryFailed, "\(String(reflecting: type(of: error))) in: \(statement)", file: file, line: line)
        }
    }

    private init(psql error: PSQLError, statement: String, file: String, line: Int) {
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?????"
            let message = "\(error.serverInfo?[.message] ?? "server error") [SQLSTATE \(state)] in: \(statement)"
            switch state {
            case "23505" where error.serverInfo?[.constraintName] == "jobs_request_id":
                self.init(.duplicateRequest, message, file: file, line: line)
            case _ where state.hasPrefix("23"):
                self.init(.constraintViolation, message, file: file, line: line)
            // serialization_failure, deadlock_detected, lock_not_available
            case "40001", "40P01", "55P03":
                self.init(.busy, message, isRetryable: true, file: file, line: line)
            // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections,
            // and the whole connection-exception class
            case "57P01", "57P02", "57P03", "53300":
                self.init(.unavailable, message, isRetryable: true, file: file, line: line)
            case _ where state.hasPrefix("08"):
                self.init(.unavailable, message, isRetryable: true, file: file, line: line)
            default:
                self.init(.queryFailed, message, file: file, line: line)
            }
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown,
             .messageDecodingFailure, .unexpectedBackendMessage:
            self.init(.unavailable, "connection to PostgreSQL lost (\(error.code)) in: \(statement)", isRetryable: true,
                      file: file, line: line)
        case .poolClosed:
            // The client's run() was cancelled: this process is shutting down.
            self.init(.closed, "the PostgreSQL client has stopped (\(error.code)) in: \(statement)", file: file, line: line)
        default:
            self.init(.queryFailed, "PostgreSQL client error \(error.code) in: \(statement)", file: file, line: line)
        }
    }
}
