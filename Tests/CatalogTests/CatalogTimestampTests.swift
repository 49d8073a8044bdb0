@testable import Catalog
import Foundation
import Testing
import VidpipeTestSupport

@Suite("CatalogTimestamp")
struct CatalogTimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000000Z"),
        (1_700_000_000.123456, "2023-11-14T22:13:20.123456Z"),
        (-0.000001, "1969-12-31T23:59:59.999999Z"),
        (253_402_300_799, "9999-12-31T23:59:59.000000Z"),
        (1_700_000_000.000001, "2023-11-14T22:13:20.000001Z"),
    ])
    func roundTripsAtMicrosecondPrecision(seconds: Double, text: String) throws {
        let date = CatalogFixtures.date(seconds)
        #expect(CatalogTimestamp.text(date) == text)
        #expect(CatalogTimestamp.date(text) == date)
    }

    @Test(arguments: ["", "2023-11-14 22:13:20.123456Z", "2023-11-14T22:13:20Z", "2023-11-14T22:13:2x.123456Z"])
    func rejectsOtherShapes(text: String) {
        #expect(CatalogTimestamp.date(text) == nil)
    }
}
