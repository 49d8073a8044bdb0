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

    /// Runs `scripts/services/postgres ARGUMENT` and waits for it: `restart` (`pg_ctl restart
    /// -m fast`) terminates every open connection, as a real restart does.
    ///
    /// The script is told the configured server's port (`VIDPIPE_PG_PORT`), so a server
    /// started on another than the default port comes back on the same one.
    public static func service(_ argument: String) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["VIDPIPE_PG_PORT"] = String(try settings().port)
        try CommandLineTool.checked(PackageDirectory.path("scripts/services/postgres"), [argument], environment: environment)
    }
}

/// A database of its own for one test, created through `psql` on the server's `postgres`
/// database.
public struct TestDatabase: Sendable {
    /// The database's generated name (`vp_test_…`).
    public let name: String
    /// Settings that connect to this database.
    public let settings: PostgresConnectionSettings

    /// Creates a fresh database on ``PostgresTestServer``, runs `body`, and drops the
    /// database (also when `body` throws).
    public static func with<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        let database = try create()
        do {
            let result = try await body(database)
            try database.drop()
            return result
        } catch {
            try? database.drop()
            throw error
        }
    }

    /// Creates a fresh database on ``PostgresTestServer`` that outlives the call: for a test
    /// that hands it to another process; ``drop()`` it, or let the throwaway server go.
    public static func create() throws -> TestDatabase {
        var settings = try PostgresTestServer.settings()
        // A generated identifier: database names cannot be bound parameters.
        let name = "vp_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try TestDatabase(name: "postgres", settings: settings).psql("CREATE DATABASE \(name)")
        settings.database = name
        return TestDatabase(name: name, settings: settings)
    }

    /// Drops the database, closing what is still connected to it.
    public func drop() throws {
        var admin = settings
        admin.database = "postgres"
        try TestDatabase(name: "postgres", settings: admin).psql("DROP DATABASE \(name) WITH (FORCE)")
    }

    /// The server's URI with this database in its path: what `PG_CONN_URI` takes.
    public var uri: String {
        var components = URLComponents(string: PostgresTestServer.uri ?? "") ?? URLComponents()
        components.path = "/" + name
        return components.string ?? ""
    }

    /// A catalog on this database running its own pool (close it), migrated unless told otherwise.
    public func catalog(migrated: Bool = true, callDeadline: Duration = PostgresCatalog.defaultCallDeadline) async throws -> PostgresCatalog {
        let catalog = PostgresCatalog.running(settings: settings, logger: PostgresTestServer.quietLogger, callDeadline: callDeadline)
        if migrated { try await catalog.migrate() }
        return catalog
    }

    /// Runs `sql` with the psql CLI (an oracle independent of PostgresNIO) and returns its
    /// unaligned, tuples-only output lines (`|` between columns, NULL as nothing).
    ///
    /// - Throws: ``TestEnvironmentError`` with psql's message when it fails.
    @discardableResult
    public func psql(_ sql: String) throws -> [String] {
        let result = try CommandLineTool.run("/usr/bin/psql", psqlArguments(sql), environment: psqlEnvironment)
        guard result.status == 0 else { throw PSQLFailure(status: result.status, message: result.stderr, sql: sql) }
        return result.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    /// ``psql(_:)``'s lines for polling a catalog another process writes: no rows while the
    /// server is unreachable (psql's exit status 2, e.g. mid-restart) or that process has not
    /// applied every migration yet. Any other failure, such as a typo in `sql`, throws.
    public func rows(_ sql: String) throws -> [String] {
        do {
            // Readiness first: a query that fails after this is a real failure, not a race
            // with a migration that was still running.
            guard try psql("SELECT count(*) FROM schema_migrations") == CatalogFixtures.migratedCount else { return [] }
            return try psql(sql)
        } catch let failure as PSQLFailure where failure.isConnectionFailure || failure.message.contains("\"schema_migrations\" does not exist") {
            return []
        }
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
}

/// A psql run that failed: its exit status and message.
public struct PSQLFailure: Error, CustomStringConvertible {
    /// 1 for an error in the SQL, 2 when the connection failed or broke.
    public var status: Int32
    public var message: String
    public var sql: String

    /// The server could not be reached or hung up (psql exits 2), as it does while restarting.
    public var isConnectionFailure: Bool { status == 2 }

    public var description: String { "psql failed (\(status)): \(message) for: \(sql)" }
}
