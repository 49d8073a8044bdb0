import Catalog
import Foundation
import Testing

/// A statement written once renders each database's placeholders and clauses, and binds
/// every interpolated value instead of splicing it into the SQL.
@Suite("CatalogStatement")
struct CatalogStatementTests {
    private let statement: CatalogStatement = """
        SELECT * FROM t WHERE a = \("x'; DROP TABLE t; --") AND b = \(Optional<Int>.none) AND c = \(JSONText("{}")) \
        AND d = \(TaskRunState.retrying) ORDER BY e\(dialect: .byteOrder) LIMIT \(3)\(dialect: .skipLocked)
        """

    @Test func sqliteGetsQuestionMarksAndNoExtraClauses() {
        let (sql, values) = statement.rendered(for: .sqlite)
        #expect(sql == "SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ? ORDER BY e LIMIT ?")
        #expect(values == [.text("x'; DROP TABLE t; --"), .null, .json("{}"), .text("retrying"), .integer(3)])
    }

    @Test func postgresGetsNumberedPlaceholdersAJSONCastAndItsClauses() {
        let (sql, values) = statement.rendered(for: .postgres)
        #expect(sql == #"SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3::json AND d = $4 ORDER BY e COLLATE "C" LIMIT $5 FOR UPDATE SKIP LOCKED"#)
        #expect(values.count == 5)
    }

    @Test func statesBindTheTextTheSchemaHasAlwaysStored() {
        let statement: CatalogStatement = "\(TaskRunState.cancelled) \(NotificationState.pending) \(NotificationKind.missingMetadata)"
        #expect(statement.rendered(for: .sqlite).values == [.text("cancelled"), .text("pending"), .text("missing_metadata")])
        #expect(TaskRunState.allCases.map(\.rawValue) == ["succeeded", "retrying", "failed", "skipped", "cancelled"])
        #expect(NotificationState.allCases.map(\.rawValue) == ["pending", "sent"])
        #expect(NotificationKind.allCases.map(\.rawValue) == ["ready", "modified", "deleted", "missing_metadata", "rejected"])
    }
}
