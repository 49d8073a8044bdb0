import Catalog
import Foundation
import PostgresNIO

/// Typed, checked access to a row's columns; a missing column or a value of the wrong type is
/// a ``CatalogError/Code/corruptRow``, never a silent default or a crash.
struct PostgresColumns: CatalogColumns {
    let row: PostgresRandomAccessRow
    let table: String

    private func value<T: PostgresDecodable>(_ name: String, as type: T.Type) throws -> T {
        // The subscript traps on an unknown name; check first.
        guard row.contains(name) else { throw CatalogError(.corruptRow, "\(table).\(name) is missing") }
        do {
            return try row[name].decode(T.self)
        } catch {
            let reason = (error as? PostgresDecodingError).map { "\($0.code)" } ?? "\(error)"
            throw CatalogError(.corruptRow, "\(table).\(name) cannot be read as \(T.self): \(reason)")
        }
    }

    func string(_ name: String) throws -> String { try value(name, as: String.self) }
    func optionalString(_ name: String) throws -> String? { try value(name, as: String?.self) }
    func int(_ name: String) throws -> Int { try value(name, as: Int.self) }
    func optionalInt(_ name: String) throws -> Int? { try value(name, as: Int?.self) }
    func int64(_ name: String) throws -> Int64 { try value(name, as: Int64.self) }
    func optionalInt64(_ name: String) throws -> Int64? { try value(name, as: Int64?.self) }
    func double(_ name: String) throws -> Double { try value(name, as: Double.self) }
    func optionalDouble(_ name: String) throws -> Double? { try value(name, as: Double?.self) }
    func bool(_ name: String) throws -> Bool { try value(name, as: Bool.self) }
    func date(_ name: String) throws -> Date { try value(name, as: PostgresTimestamp.self).date }
    func optionalDate(_ name: String) throws -> Date? { try value(name, as: PostgresTimestamp?.self)?.date }
}
