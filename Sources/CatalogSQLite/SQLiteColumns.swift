import Catalog
import Foundation
import SQLiteNIO

/// Typed, checked access to a row's columns; a value of the wrong type is a
/// ``CatalogError/Code/corruptRow``, never a silent default.
struct SQLiteColumns: CatalogColumns {
    let row: SQLiteRow
    let table: String

    private func value(_ name: String) throws -> SQLiteData {
        guard let value = row.column(name) else { throw corrupt(name, "is missing") }
        return value
    }

    private func corrupt(_ name: String, _ problem: String) -> CatalogError {
        CatalogError(.corruptRow, "\(table).\(name) \(problem)")
    }

    func optionalString(_ name: String) throws -> String? {
        switch try value(name) {
        case .null: return nil
        case .text(let text): return text
        default: throw corrupt(name, "is not text")
        }
    }

    func string(_ name: String) throws -> String {
        guard let text = try optionalString(name) else { throw corrupt(name, "is null") }
        return text
    }

    func optionalInt64(_ name: String) throws -> Int64? {
        switch try value(name) {
        case .null: return nil
        case .integer(let integer): return Int64(integer)
        default: throw corrupt(name, "is not an integer")
        }
    }

    func int64(_ name: String) throws -> Int64 {
        guard let integer = try optionalInt64(name) else { throw corrupt(name, "is null") }
        return integer
    }

    func optionalInt(_ name: String) throws -> Int? {
        try optionalInt64(name).map { Int($0) }
    }

    func int(_ name: String) throws -> Int {
        Int(try int64(name))
    }

    func optionalDouble(_ name: String) throws -> Double? {
        switch try value(name) {
        case .null: return nil
        case .float(let double): return double
        case .integer(let integer): return Double(integer)
        default: throw corrupt(name, "is not a number")
        }
    }

    func double(_ name: String) throws -> Double {
        guard let value = try optionalDouble(name) else { throw corrupt(name, "is NULL") }
        return value
    }

    /// SQLite has no boolean type: 0 or 1 in an INTEGER column.
    func bool(_ name: String) throws -> Bool { try int(name) != 0 }

    func optionalDate(_ name: String) throws -> Date? {
        guard let text = try optionalString(name) else { return nil }
        guard let date = CatalogTimestamp.date(text) else { throw corrupt(name, "is not a timestamp: \(text)") }
        return date
    }

    func date(_ name: String) throws -> Date {
        guard let date = try optionalDate(name) else { throw corrupt(name, "is null") }
        return date
    }
}

extension SQLiteData {
    /// The SQLite encoding of a bound catalog value: timestamps as fixed-width text, booleans
    /// as 0 or 1, JSON as text.
    init(_ value: CatalogValue) {
        switch value {
        case .null: self = .null
        case .text(let text), .json(let text): self = .text(text)
        case .integer(let integer): self = .integer(SQLiteInt64(integer))
        case .real(let real): self = .float(real)
        case .boolean(let boolean): self = .integer(boolean ? 1 : 0)
        case .timestamp(let date): self = .text(CatalogTimestamp.text(date))
        }
    }
}
