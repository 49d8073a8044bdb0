import Catalog
import CatalogPostgres
import Testing

@Suite("PostgresConnectionSettings")
struct PostgresConnectionSettingsTests {
    @Test func parsesAURIAndNeverShowsThePassword() throws {
        let settings = try PostgresConnectionSettings(uri: "postgres://vid%40pipe:s3cr%2Ft@db.example:6543/catalog?sslmode=require&connect_timeout=3")
        #expect(settings.host == "db.example")
        #expect(settings.port == 6543)
        #expect(settings.username == "vid@pipe")
        #expect(settings.password == "s3cr/t")
        #expect(settings.database == "catalog")
        #expect(settings.sslMode == .require)
        #expect(settings.connectTimeout == .seconds(3))
        #expect(settings.description == "postgres://vid@pipe:***@db.example:6543/catalog?sslmode=require")
        #expect(!String(reflecting: settings).contains("s3cr"))
        let configuration = settings.clientConfiguration()
        #expect(configuration.host == "db.example")
        #expect(configuration.port == 6543)
        #expect(configuration.password == "s3cr/t")
    }

    @Test func defaultsFollowLibpq() throws {
        let settings = try PostgresConnectionSettings(uri: "postgresql://postgres@127.0.0.1")
        #expect(settings.port == 5432)
        #expect(settings.database == "postgres")
        #expect(settings.password == nil)
        #expect(settings.sslMode == .prefer)
        #expect(settings.description == "postgres://postgres@127.0.0.1:5432/postgres?sslmode=prefer")
    }

    @Test(arguments: [
        "mysql://u@h/db", "postgres://h/db", "postgres://u@/db", "postgres://u:pw@h/db?sslmode=sometimes",
        "postgres://u:pw@h/db?connect_timeout=0", "postgres://u:pw@h/db?target_session_attrs=any", "not a uri",
    ])
    func refusesMalformedURIsWithoutLeakingThePassword(uri: String) {
        let error = #expect(throws: CatalogError.self) { try PostgresConnectionSettings(uri: uri) }
        #expect(error?.code == .openFailed)
        #expect(error?.message.contains("pw") == false)
    }
}
