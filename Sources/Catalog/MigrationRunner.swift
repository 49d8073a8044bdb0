import Foundation

extension CatalogConnection {
    /// Applies `migrations` (sorted by version) that the store has not recorded yet.
    ///
    /// Run it inside one transaction that other migrating processes wait for (SQLite's
    /// write lock, a PostgreSQL advisory lock): the second process then finds nothing to do,
    /// and a failed migration rolls back whole. `store` names the database in messages.
    package func applyMigrations(_ migrations: [Migration], store: String) async throws {
        try await execute(CatalogStatement(unsafeSQL: dialect.migrationBookkeeping))
        var applied: [Int: String] = [:]
        for row in try await execute("SELECT version, name FROM schema_migrations", table: "schema_migrations") {
            applied[try row.int("version")] = try row.string("name")
        }
        let known = migrations.last?.version ?? 0
        if let newest = applied.keys.max(), newest > known {
            throw CatalogError(.migrationFailed, "\(store) has schema version \(newest); this build knows up to \(known)")
        }
        for migration in migrations {
            if let name = applied[migration.version] {
                guard name == migration.name else {
                    throw CatalogError(
                        .migrationFailed, "migration \(migration.version) is recorded as '\(name)', expected '\(migration.name)'"
                    )
                }
                continue
            }
            try await apply(migration)
        }
    }

    private func apply(_ migration: Migration) async throws {
        do {
            // DDL from the Migration constants of this build, not input.
            for statement in dialect.statements(of: migration) {
                try await execute(CatalogStatement(unsafeSQL: statement))
            }
            try await execute(
                """
                INSERT INTO schema_migrations (version, name, applied_at)
                VALUES (\(migration.version), \(migration.name), \(Date()))
                """
            )
        } catch let error as CatalogError {
            throw CatalogError(
                .migrationFailed, "migration \(migration.version) '\(migration.name)' failed: \(error.message)",
                isRetryable: error.isRetryable
            )
        }
    }
}
