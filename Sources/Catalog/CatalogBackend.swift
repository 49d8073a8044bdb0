/// A ``Catalog`` on one database: it says how a call runs the shared statements (the
/// extensions of ``CatalogConnection``) on its connections, and the calls that run the same
/// way on every database are forwarded once, in extensions of this protocol (the reads and
/// the outboxes).
///
/// `body` gets the connection as `any CatalogConnection`, so each database's connection and
/// row types stay private to its module.
package protocol CatalogBackend: Catalog {
    /// Runs `body`'s statements as they come, each its own transaction; `call` names the
    /// call in error messages.
    func autocommit<Result: Sendable>(
        _ call: String, _ body: @escaping @Sendable (any CatalogConnection) async throws -> Result
    ) async throws -> Result

    /// Runs `body` in one transaction, rolled back on any error.
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (any CatalogConnection) async throws -> Result) async throws -> Result

    /// Runs an outbox claim (`body` reads due rows and leases them) so that no concurrent
    /// claim, in this process or another, takes the same rows.
    func claim<Result: Sendable>(
        _ call: String, _ body: @escaping @Sendable (any CatalogConnection) async throws -> Result
    ) async throws -> Result
}
