import ArgumentParser
import Foundation
import Logging
import Pipeline
import ServiceLifecycle

/// `vidpipe run`: the daemon. In embedded mode it works the inbox folder.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: take requests from the inbox until SIGTERM or SIGINT."
    )

    func run() async throws {
        let bootstrap = try Bootstrap()
        let logger = bootstrap.logger
        let catalog = try await bootstrap.openCatalog()
        let runner = try bootstrap.makeRunner(catalog: catalog)
        logger.info("vidpipe daemon starting (embedded mode)", metadata: [
            "datalake": "\(bootstrap.configuration.layout.root)", "catalog": "\(bootstrap.configuration.layout.catalog)",
        ])
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: InboxService(runner: runner, logger: logger))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger
        )
        // Past the grace period, in-flight jobs are cancelled; their requests stay in the
        // inbox and are taken again at the next start.
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int(bootstrap.configuration.shutdownGraceSeconds * 1000))
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        try? await catalog.close()
        logger.info("vidpipe daemon stopped")
    }
}
