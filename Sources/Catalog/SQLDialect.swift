/// The SQL that differs between the databases, so that statements are written once.
package enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// The parameter marker at `position` (1-based) for `value`.
    func placeholder(_ position: Int, for value: CatalogValue) -> String {
        switch (self, value) {
        case (.sqlite, _): "?"
        // A text parameter is not assignable to a json column: cast it explicitly.
        case (.postgres, .json): "$\(position)::json"
        case (.postgres, _): "$\(position)"
        }
    }

    func sql(for clause: CatalogStatement.DialectClause) -> String {
        switch (self, clause) {
        // SQLite's default collation (BINARY) already sorts text by bytes.
        case (.sqlite, .byteOrder): ""
        // Byte order whatever the database's locale, as SQLite sorts.
        case (.postgres, .byteOrder): #" COLLATE "C""#
        // One SQLite writer at a time: its write lock already keeps claims apart.
        case (.sqlite, .skipLocked): ""
        case (.postgres, .skipLocked): " FOR UPDATE SKIP LOCKED"
        }
    }

    /// The statements of `migration` in this dialect.
    package func statements(of migration: Migration) -> [String] {
        switch self {
        case .sqlite: migration.sqlite
        case .postgres: migration.postgres
        }
    }

    /// Creates the table that records applied migrations.
    package var migrationBookkeeping: String {
        switch self {
        case .sqlite: Migration.bookkeepingSQLite
        case .postgres: Migration.bookkeepingPostgres
        }
    }
}
