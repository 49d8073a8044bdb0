import Catalog
import Logging
import Notifications

/// The long-lived parts every job uses, built once per process.
public struct JobContext: Sendable {
    public var configuration: IngestConfiguration
    public var catalog: any Catalog
    /// Delivers mail right after the gold commit; nil leaves every notification pending for
    /// the daemon's notifier, the only sender there.
    public var mailer: (any MailTransport)?
    public var logger: Logger

    public init(configuration: IngestConfiguration, catalog: any Catalog, mailer: (any MailTransport)?, logger: Logger) {
        self.configuration = configuration
        self.catalog = catalog
        self.mailer = mailer
        self.logger = logger
    }
}
