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
    /// Told each task a job enters and how its decode advances (from the decode thread);
    /// nil: nobody watches.
    public var progress: (@Sendable (JobProgress) -> Void)?

    public init(configuration: IngestConfiguration, catalog: any Catalog, mailer: (any MailTransport)?, logger: Logger,
                progress: (@Sendable (JobProgress) -> Void)? = nil) {
        self.configuration = configuration
        self.catalog = catalog
        self.mailer = mailer
        self.logger = logger
        self.progress = progress
    }
}
