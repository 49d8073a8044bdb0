import Foundation

/// A value bound to a statement parameter, in the shapes the catalog stores. Each database
/// encodes it natively: a timestamp is fixed-width text in SQLite and a TIMESTAMPTZ in
/// PostgreSQL, a boolean 0/1 in SQLite.
package enum CatalogValue: Sendable, Equatable {
    case null
    case text(String)
    case integer(Int64)
    case real(Double)
    case boolean(Bool)
    case timestamp(Date)
    /// JSON text for a JSON column (TEXT in SQLite).
    case json(String)
}

/// A Swift value that binds as one statement parameter.
package protocol CatalogBindable: Sendable {
    var catalogValue: CatalogValue { get }
}

extension String: CatalogBindable {
    package var catalogValue: CatalogValue { .text(self) }
}

extension Int: CatalogBindable {
    package var catalogValue: CatalogValue { .integer(Int64(self)) }
}

extension Int64: CatalogBindable {
    package var catalogValue: CatalogValue { .integer(self) }
}

extension Double: CatalogBindable {
    package var catalogValue: CatalogValue { .real(self) }
}

extension Bool: CatalogBindable {
    package var catalogValue: CatalogValue { .boolean(self) }
}

extension Date: CatalogBindable {
    package var catalogValue: CatalogValue { .timestamp(self) }
}

extension Optional: CatalogBindable where Wrapped: CatalogBindable {
    package var catalogValue: CatalogValue { map(\.catalogValue) ?? .null }
}

/// The state enums bind their raw value, the text stored in the database.
extension CatalogBindable where Self: RawRepresentable, RawValue == String {
    package var catalogValue: CatalogValue { .text(rawValue) }
}

extension JobState: CatalogBindable {}
extension TaskRunState: CatalogBindable {}
extension NotificationState: CatalogBindable {}
extension NotificationKind: CatalogBindable {}

/// JSON text bound for a JSON column.
package struct JSONText: CatalogBindable {
    package var text: String
    package init(_ text: String) { self.text = text }
    package var catalogValue: CatalogValue { .json(text) }
}

/// One SQL statement whose values are all bound parameters, written once for every dialect.
///
/// Interpolating a value binds it (`"… WHERE id = \(id)"`), the way PostgresNIO's
/// `PostgresQuery` does; `\(dialect: .byteOrder)` inserts a clause that differs by database.
package struct CatalogStatement: Sendable, ExpressibleByStringInterpolation {
    /// A clause only some databases need.
    package enum DialectClause: Sendable {
        /// Appended to a text column in `ORDER BY`: sort by bytes.
        case byteOrder
        /// Appended to a `SELECT` whose rows a claim updates: pass over rows others hold.
        case skipLocked
    }

    enum Part: Sendable {
        case sql(String)
        case value(CatalogValue)
        case clause(DialectClause)
    }

    private(set) var parts: [Part] = []

    package init(stringLiteral sql: String) {
        parts = [.sql(sql)]
    }

    package init(stringInterpolation: Interpolation) {
        parts = stringInterpolation.parts
    }

    /// SQL from this build's own constants (DDL, table and column names), never from input.
    package init(unsafeSQL sql: String) {
        parts = [.sql(sql)]
    }

    package mutating func append(sql: String) {
        parts.append(.sql(sql))
    }

    package mutating func append(dialect clause: DialectClause) {
        parts.append(.clause(clause))
    }

    package mutating func append(_ value: some CatalogBindable) {
        parts.append(.value(value.catalogValue))
    }

    /// The SQL text for `dialect` and the values its placeholders bind, in order.
    package func rendered(for dialect: SQLDialect) -> (sql: String, values: [CatalogValue]) {
        var sql = ""
        var values: [CatalogValue] = []
        for part in parts {
            switch part {
            case .sql(let text):
                sql += text
            case .value(let value):
                values.append(value)
                sql += dialect.placeholder(values.count, for: value)
            case .clause(let clause):
                sql += dialect.sql(for: clause)
            }
        }
        return (sql, values)
    }

    /// Builds a statement from literal SQL and interpolated values.
    package struct Interpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        package init(literalCapacity: Int, interpolationCount: Int) {}

        package mutating func appendLiteral(_ literal: String) {
            parts.append(.sql(literal))
        }

        package mutating func appendInterpolation(_ value: some CatalogBindable) {
            parts.append(.value(value.catalogValue))
        }

        /// An optional binds NULL when nil (a separate overload, so that the compiler sees the
        /// optional is meant).
        package mutating func appendInterpolation(_ value: (some CatalogBindable)?) {
            parts.append(.value(value.catalogValue))
        }

        package mutating func appendInterpolation(dialect clause: DialectClause) {
            parts.append(.clause(clause))
        }
    }
}
