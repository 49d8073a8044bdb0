import ArgumentParser
import CatalogPostgres
import Daemon
import Foundation
import Ingest
import Webhooks
import Logging
import ServiceLifecycle

/// `vidpipe run`: the daemon. Requests come from Kafka when `KAFKA_BOOTSTRAP_SERVERS` (or
/// `KAFKA_CLIENT_PROPERTIES`) is set, else from the inbox folder; a notifier sends the mail
/// and a webhook sender the webhooks.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: take requests from Kafka or the inbox until SIGTERM or SIGINT.",
        discussion: "On SIGTERM or SIGINT intake stops, jobs in flight finish within VIDPIPE_SHUTDOWN_GRACE_SECONDS, what finished is committed, and the daemon exits 0."
    )

    func run() async throws {
        let bootstrap = try Bootstrap()
        try await bootstrap.checkLakeIsWritable()
        let metrics = Bootstrap.bootstrapPrometheus()
        let logger = bootstrap.logger
        let kafka = bootstrap.configuration.kafka
        var catalog = try await bootstrap.openCatalog()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let postgres = bootstrap.postgres {
            // Migrated above through a short-lived pool; the daemon's pool is a service of
            // the group, first in line so it shuts down after everything that uses it.
            try? await catalog.close()
            let daemonCatalog = PostgresCatalog(settings: postgres, logger: logger, callDeadline: bootstrap.postgresCallDeadline)
            services.append(.init(service: daemonCatalog.client))
            catalog = daemonCatalog
        }
        // The notifier is the only sender: jobs leave their mail pending in the catalog.
        let runner = try await bootstrap.makeRunner(catalog: catalog, inlineMail: false)
        // Under systemd (`Type=notify`, deploy/vidpipe.service): READY=1 once intake runs.
        let systemd = SystemdNotifier(socketPath: ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], logger: logger)
        let onReady: @Sendable () -> Void = { systemd?.ready() }
        let intake: any Service
        if let kafka {
            do {
                intake = try KafkaIntakeService(configuration: kafka, topics: bootstrap.configuration.topics, runner: runner,
                                                logger: logger, onReady: onReady)
            } catch {
                FileHandle.standardError.write(Data("vidpipe: cannot start the Kafka client: \(error)\n".utf8))
                try? await catalog.close()
                throw ExitStatus.usage
            }
            logger.info("vidpipe daemon starting (Kafka mode)", metadata: ["kafka": "\(kafka)", "catalog": "\(bootstrap.catalogDescription)"])
        } else {
            intake = InboxService(runner: runner, pollInterval: .seconds(bootstrap.configuration.inboxPollSeconds), logger: logger,
                                  onReady: onReady)
            logger.info("vidpipe daemon starting (embedded mode)", metadata: [
                "datalake": "\(bootstrap.configuration.layout.root)", "catalog": "\(bootstrap.catalogDescription)",
            ])
        }
        let notifier = NotifierService(catalog: catalog, mailer: bootstrap.mailTransport(),
                                       defaultSender: bootstrap.configuration.ingest.emailSender, logger: logger)
        // Shut down in reverse order: systemd hears STOPPING=1 first, then intake stops (jobs
        // finish and commit their mail), then the notifier sends that mail in a last pass; the
        // HTTP endpoint stops last, so /metrics and /ready answer during the shutdown.
        services += [.init(service: bootstrap.observabilityServer(catalog: catalog, registry: metrics)), .init(service: notifier)]
        // Beside the notifier, and for the same reason after intake: jobs finishing during the
        // shutdown commit their webhooks, which its last pass sends.
        if let settings = bootstrap.configuration.webhookSettings {
            services.append(.init(service: WebhookService(catalog: catalog, settings: settings, logger: logger)))
        }
        services.append(.init(service: intake))
        if let systemd { services.append(.init(service: systemd)) }
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger
        )
        // Past the grace period, in-flight jobs are cancelled; their requests stay
        // uncommitted (Kafka) or in the inbox and are taken again at the next start.
        configuration.maximumGracefulShutdownDuration = .seconds(bootstrap.configuration.shutdownGraceSeconds)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        try? await catalog.close()
        logger.info("vidpipe daemon stopped")
    }
}

/// `vidpipe migrate`: brings the catalog's schema up to date and exits.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the catalog's migrations (PostgreSQL when PG_CONN_URI is set, else the embedded SQLite) and exit."
    )

    func run() async throws {
        let bootstrap = try Bootstrap(consoleLevel: .warning)
        let catalog = try await bootstrap.openCatalog()
        try? await catalog.close()
        print("catalog migrated: \(bootstrap.catalogDescription)")
    }
}
