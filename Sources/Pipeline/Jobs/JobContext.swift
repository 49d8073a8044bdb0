import Catalog
import Logging
import Notifications

/// The long-lived parts every job uses, built once per process.
public struct JobContext: Sendable {
    public var configuration: VidpipeConfiguration
    public var catalog: any Catalog
    /// Delivers mail right after the gold commit; nil leaves every notification pending for
    /// the ``NotifierService`` (daemon mode, where it is the only sender).
    public var mailer: (any MailTransport)?
    public var logger: Logger
    let validator: FileValidator
    let bronze: BronzeStore
    let claims = ContentClaims()

    public init(configuration: VidpipeConfiguration, catalog: any Catalog, mailer: (any MailTransport)?, logger: Logger) {
        self.configuration = configuration
        self.catalog = catalog
        self.mailer = mailer
        self.logger = logger
        self.validator = FileValidator(allowedRoots: configuration.allowedRoots, maxFileBytes: configuration.maxFileBytes)
        self.bronze = BronzeStore(root: configuration.layout.bronze)
    }
}
