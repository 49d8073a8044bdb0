import Catalog
import CatalogPostgres
import Foundation
import Logging

/// The PostgreSQL server the tests use: `VIDPIPE_TEST_PG_URI`, as printed by
/// `scripts/services/postgres start` (its `PG_CONN_URI`).
///
/// Without the variable the PostgreSQL tests are skipped, unless `VIDPIPE_REQUIRE_SERVICES=1`
/// says the run must cover them: then they run and fail loudly at ``settings()``.
public enum PostgresTestServer {
    /// The server's URI, when the environment names one.
    public static let uri = ProcessInfo.processInfo.environment["VIDPIPE_TEST_PG_URI"].flatMap { $0.isEmpty ? nil : $0 }
    /// Whether the run must cover the services (`VIDPIPE_REQUIRE_SERVICES=1`, set by `scripts/test`).
    public static let isRequired = ProcessInfo.processInfo.environment["VIDPIPE_REQUIRE_SERVICES"] == "1"
    /// Whether PostgreSQL tests run: a server is configured, or one is required.
    public static let shouldRun = uri != nil || isRequired
    /// Why PostgreSQL tests are skipped when ``shouldRun`` is false.
    public static let skipReason = "set VIDPIPE_TEST_PG_URI (scripts/services/postgres start prints it) to run the PostgreSQL tests"

    /// The configured server's settings.
    ///
    /// - Throws: ``TestEnvironmentError`` when no server is configured.
    public static func settings() throws -> PostgresConnectionSettings {
        guard let uri else {
            throw TestEnvironmentError("VIDPIPE_REQUIRE_SERVICES=1 but VIDPIPE_TEST_PG_URI is not set: run scripts/services/postgres start")
        }
        return try PostgresConnectionSettings(uri: uri)
    }

    /// A logger that drops everything, for catalogs under test.
    public static let quietLogger = Logger(label: "vidpipe.test.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `scripts/services/postgres ARGUMENT` (e.g. `restart`) and waits for it.
    public static func service(_ argument: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: repositoryRoot + "/scripts/services/postgres")
        process.arguments = [argument]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestEnvironmentError("scripts/services/postgres \(argument) exited with \(process.terminationStatus)")
        }
    }

    /// The checkout this file belongs to (three folders up).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

/// A database of its own for one test, created through `psql` on the server's `postgres`
/// database and dropped afterwards.
public struct TestDatabase: Sendable {
    /// The database's generated name (`vp_test_…`).
    public let name: String
    /// Settings that connect to this database.
    public let settings: PostgresConnectionSettings

    /// Creates a fresh database on ``PostgresTestServer``, runs `body`, and drops the
    /// database (also when `body` throws).
    public static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        var settings = try PostgresTestServer.settings()
        // A generated identifier: database names cannot be bound parameters.
        let name = "vp_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let admin = TestDatabase(name: "postgres", settings: settings)
        try admin.psql("CREATE DATABASE \(name)")
        settings.database = name
        let database = TestDatabase(name: name, settings: settings)
        do {
            let result = try await body(database)
            try admin.psql("DROP DATABASE \(name) WITH (FORCE)")
            return result
        } catch {
            _ = try? admin.psql("DROP DATABASE \(name) WITH (FORCE)")
            throw error
        }
    }

    /// A catalog on this database running its own pool (close it), migrated unless told otherwise.
    public func catalog(migrated: Bool = true, callDeadline: Duration = PostgresCatalog.defaultCallDeadline) async throws -> PostgresCatalog {
        let catalog = PostgresCatalog.running(settings: settings, logger: PostgresTestServer.quietLogger, callDeadline: callDeadline)
        if migrated { try await catalog.migrate() }
        return catalog
    }

    /// Runs `sql` with the psql CLI (an oracle independent of PostgresNIO) and returns its
    /// unaligned, tuples-only output lines (`|` between columns, NULL as nothing).
    @discardableResult
    public func psql(_ sql: String) throws -> [String] {
        let (status, output, errors) = try run(psqlArguments(sql))
        guard status == 0 else { throw TestEnvironmentError("psql failed (\(status)): \(errors) for: \(sql)") }
        return output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    /// Starts psql with `sql` in the background, e.g. a session that holds a lock; terminate it when done.
    public func psqlInBackground(_ sql: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = psqlArguments(sql)
        process.environment = psqlEnvironment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func psqlArguments(_ sql: String) -> [String] {
        ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", settings.host, "-p", String(settings.port),
         "-U", settings.username, "-d", name, "-c", sql]
    }

    private var psqlEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = settings.password
        environment["PGSSLMODE"] = settings.sslMode.rawValue
        return environment
    }

    private func run(_ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        process.arguments = arguments
        process.environment = psqlEnvironment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }
}
