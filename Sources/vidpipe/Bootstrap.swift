import ArgumentParser
import Catalog
import Foundation
import Kafka
import Logging
import Media
import Notifications
import Pipeline

/// What every command that touches the lake needs: configuration, logging, catalog.
struct Bootstrap {
    let configuration: VidpipeConfiguration
    let logger: Logger

    /// Loads the configuration and sets up logging; a bad value exits with status 2.
    /// `consoleLevel` is what reaches stderr; the log file always gets the configured level.
    init(consoleLevel: Logger.Level? = nil) throws {
        do {
            configuration = try VidpipeConfiguration.load()
        } catch {
            FileHandle.standardError.write(Data("vidpipe: \(error)\n".utf8))
            throw ExitStatus.usage
        }
        if configuration.postgresURI != nil {
            FileHandle.standardError.write(Data("vidpipe: PG_CONN_URI is set, but this build has only the embedded SQLite catalog; unset PG_CONN_URI\n".utf8))
            throw ExitStatus.usage
        }
        let fileLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let console = consoleLevel ?? fileLevel
        let logFile = configuration.layout.logs + "/vidpipe.log"
        try? FileManager.default.createDirectory(atPath: configuration.layout.logs, withIntermediateDirectories: true)
        LoggingSystem.bootstrap { label in
            var stderrHandler = StreamLogHandler.standardError(label: label)
            stderrHandler.logLevel = console
            var handlers: [any LogHandler] = [stderrHandler]
            if let fileHandler = FileLogHandler(label: label, path: logFile) {
                var fileHandler = fileHandler
                fileHandler.logLevel = fileLevel
                handlers.append(fileHandler)
            }
            return MultiplexLogHandler(handlers)
        }
        // Each handler filters at its own level; setting the multiplexed logger's level would
        // overwrite both.
        self.logger = Logger(label: "vidpipe")
        // vidpipe reports media errors itself; libav's own stderr lines would only repeat them.
        FFmpegLibraries.setLogLevel(.quiet)
    }

    /// Which catalog this process uses, for logs (no secrets).
    var catalogDescription: String { configuration.layout.catalog }

    /// Opens (and migrates) the catalog.
    func openCatalog() async throws -> SQLiteCatalog {
        do {
            let catalog = try await SQLiteCatalog(path: configuration.layout.catalog)
            do {
                try await catalog.migrate()
            } catch {
                try? await catalog.close()
                throw error
            }
            return catalog
        } catch {
            FileHandle.standardError.write(Data("vidpipe: cannot open the catalog at \(configuration.layout.catalog): \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// A job runner over `catalog`. `inlineMail` delivers each job's mail right after its
    /// commit (the CLI); without it the mail waits in the catalog for the daemon's notifier.
    func makeRunner(catalog: any Catalog, inlineMail: Bool = true) throws -> JobRunner {
        let context = JobContext(configuration: configuration, catalog: catalog,
                                 mailer: inlineMail ? mailTransport() : nil, logger: logger)
        return try JobRunner(context: context)
    }

    /// Where mail goes: the `.eml` outbox in the lake.
    func mailTransport() -> any MailTransport {
        OutboxMailer(directory: configuration.layout.outbox)
    }

    /// The Kafka settings from the environment, `.env` and the config file; nil in
    /// embedded mode. A bad value exits with status 2, naming the variable, never a secret.
    func kafkaConfiguration() throws -> KafkaConfiguration? {
        do {
            return try KafkaConfiguration.fromEnvironment(VidpipeConfiguration.mergedValues())
        } catch {
            FileHandle.standardError.write(Data("vidpipe: \(error)\n".utf8))
            throw ExitStatus.usage
        }
    }
}
