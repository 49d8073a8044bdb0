import Catalog
import CatalogPostgres
import CatalogSQLite
import Testing
import VidpipeTestSupport

/// The databases a ``Catalog`` runs on: the contract suite runs every test on each.
enum CatalogBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// The backends this run covers: PostgreSQL only when a server is configured or required
    /// (then a missing server fails its tests).
    static let covered: [CatalogBackend] = PostgresTestServer.shouldRun ? allCases : [.sqlite]

    var testDescription: String { rawValue }

    /// Gives `body` a store of its own (a fresh SQLite file or PostgreSQL database), removed afterwards.
    func withStore<T>(_ body: (CatalogStore) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            try await ScratchDirectory.with(prefix: "vidpipe-catalog") { folder in
                // In a sub folder, to exercise folder creation.
                try await body(CatalogStore(backend: self, location: .sqliteFile(folder.path("db/catalog.sqlite"))))
            }
        case .postgres:
            try await TestDatabase.with { database in
                try await body(CatalogStore(backend: self, location: .postgresDatabase(database)))
            }
        }
    }
}

/// One test's store, and the database's own CLI to check what it holds.
struct CatalogStore {
    enum Location {
        case sqliteFile(String)
        case postgresDatabase(TestDatabase)
    }

    let backend: CatalogBackend
    let location: Location

    /// A new catalog on this store, as another process would open it; migrated unless told otherwise.
    func open(migrated: Bool = true) async throws -> any Catalog {
        let catalog: any Catalog
        switch location {
        case .sqliteFile(let path): catalog = try await SQLiteCatalog(path: path)
        case .postgresDatabase(let database): catalog = try await database.catalog(migrated: false)
        }
        if migrated { try await catalog.migrate() }
        return catalog
    }

    /// Applies `migrations` through `catalog`, as a build that knows them would.
    func apply(_ migrations: [Migration], with catalog: any Catalog) async throws {
        switch catalog {
        case let catalog as SQLiteCatalog: try await catalog.apply(migrations)
        case let catalog as PostgresCatalog: try await catalog.apply(migrations)
        default: throw TestEnvironmentError("no migration runner for \(type(of: catalog))")
        }
    }

    /// The output lines of `sql` from `sqlite3` or `psql` (`|` between columns, NULL as nothing).
    func oracle(_ sql: String) throws -> [String] {
        switch location {
        case .sqliteFile(let path): try SQLite3Oracle.query(path, sql)
        case .postgresDatabase(let database): try database.psql(sql)
        }
    }

    /// The number of rows in `table`, by the oracle.
    func count(_ table: String, where condition: String = "TRUE") throws -> Int? {
        try oracle("SELECT count(*) FROM \(table) WHERE \(condition)").first.flatMap { Int($0) }
    }

    /// The store's tables, by the oracle.
    func tables() throws -> Set<String> {
        switch backend {
        case .sqlite: Set(try oracle("SELECT name FROM sqlite_master WHERE type = 'table'"))
        case .postgres: Set(try oracle("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
        }
    }

    /// The store's secondary indexes (not those backing primary keys or UNIQUE columns), by the oracle.
    func secondaryIndexes() throws -> Set<String> {
        switch backend {
        case .sqlite:
            Set(try oracle("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"))
        case .postgres:
            Set(try oracle("""
                SELECT indexname FROM pg_indexes
                WHERE schemaname = 'public' AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'
                """))
        }
    }
}
