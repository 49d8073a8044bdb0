import Foundation
import PostgresNIO

/// A `TIMESTAMPTZ` bound and read as whole microseconds, the precision the catalog keeps.
///
/// PostgresNIO's own `Date` coding truncates toward zero, so a date with whole microseconds
/// can come back one microsecond early; rounding both ways keeps read-back equal to what the
/// SQLite catalog returns.
struct PostgresTimestamp: PostgresNonThrowingEncodable, PostgresDecodable {
    /// PostgreSQL counts from 2000-01-01T00:00:00Z.
    private static let postgresEpochMicroseconds: Int64 = 946_684_800 * 1_000_000

    var date: Date

    init(_ date: Date) {
        self.date = date
    }

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        buffer.writeInteger(micros - Self.postgresEpochMicroseconds)
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp else { throw PostgresDecodingError.Code.typeMismatch }
        guard format == .binary, buffer.readableBytes == 8, let micros = buffer.readInteger(as: Int64.self) else {
            throw PostgresDecodingError.Code.failure
        }
        // One division of the exact count, as `CatalogTimestamp` does for SQLite.
        self.date = Date(timeIntervalSince1970: Double(micros + Self.postgresEpochMicroseconds) / 1_000_000)
    }
}

extension Optional where Wrapped == Date {
    /// The bindable form of an optional date (`NULL` when nil).
    var postgres: PostgresTimestamp? { map(PostgresTimestamp.init) }
}

extension Date {
    var postgres: PostgresTimestamp { PostgresTimestamp(self) }
}
