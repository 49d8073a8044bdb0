import ArgumentParser
import Catalog
import CatalogPostgres
import CatalogSQLite
import Daemon
import Foundation
import Ingest
import Kafka
import Logging
import Media
import Notifications
import ObjectStorage
import VidpipeConfiguration

/// What every command that touches the lake needs: configuration, logging, catalog.
///
/// The only place that reads the process environment: the configuration is loaded here
/// once and handed to the libraries as typed settings.
struct Bootstrap {
    let configuration: VidpipeConfiguration
    let logger: Logger
    /// The PostgreSQL catalog's settings when `PG_CONN_URI` is set; nil: embedded SQLite.
    let postgres: PostgresConnectionSettings?

    /// Loads the configuration and sets up logging; a bad value exits with status 2.
    /// `consoleLevel` is what reaches stderr; the log file always gets the configured level.
    init(consoleLevel: Logger.Level? = nil) throws {
        do {
            configuration = try VidpipeConfiguration.load(environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("vidpipe: \(error)\n".utf8))
            throw ExitStatus.usage
        }
        do {
            postgres = try configuration.postgresURI.map { try PostgresConnectionSettings(uri: $0) }
        } catch {
            // The settings' own message names PG_CONN_URI and never holds the password.
            let message = (error as? CatalogError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("vidpipe: configuration: \(message)\n".utf8))
            throw ExitStatus.usage
        }
        let fileLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let console = consoleLevel ?? fileLevel
        let logFile = configuration.layout.logs + "/vidpipe.log"
        try? FileManager.default.createDirectory(atPath: configuration.layout.logs, withIntermediateDirectories: true)
        let logSink = FileLogHandler.Sink(path: logFile, maxBytes: configuration.logMaxBytes, keptFiles: configuration.logFiles)
        LoggingSystem.bootstrap { label in
            var stderrHandler = StreamLogHandler.standardError(label: label)
            stderrHandler.logLevel = console
            var handlers: [any LogHandler] = [stderrHandler]
            if let logSink {
                var fileHandler = FileLogHandler(label: label, sink: logSink)
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

    /// How long one PostgreSQL call may go unanswered (`VIDPIPE_PG_CALL_DEADLINE_SECONDS`).
    var postgresCallDeadline: Duration { .seconds(configuration.postgresCallDeadlineSeconds) }

    /// Which catalog this process uses, for logs (the settings' description has no password).
    var catalogDescription: String { postgres.map { "\($0)" } ?? configuration.layout.catalog }

    /// Opens and migrates the catalog: PostgreSQL (running its own pool) when `PG_CONN_URI`
    /// is set, else the lake's SQLite file.
    func openCatalog() async throws -> any Catalog {
        do {
            let catalog: any Catalog = if let postgres {
                PostgresCatalog.running(settings: postgres, logger: logger, callDeadline: postgresCallDeadline)
            } else {
                try await SQLiteCatalog(path: configuration.layout.catalog)
            }
            do {
                try await catalog.migrate()
            } catch {
                try? await catalog.close()
                throw error
            }
            return catalog
        } catch {
            let message = postgres == nil ? StartupFailure.catalog(catalogDescription, error).description
                : "cannot open the catalog at \(catalogDescription): \(error)"
            FileHandle.standardError.write(Data("vidpipe: \(message)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Makes sure the lake folder (or, with the lake in object storage, the local state
    /// folder) exists and takes a new file, and that the lake's bucket answers to the
    /// credentials, before any job starts: a read-only mount, a full disk, a refused key or a
    /// missing bucket is one clear error, not a failure inside every job.
    func checkLakeIsWritable() async throws {
        try checkLocalStateIsWritable()
        try await checkObjectStore()
    }

    /// With the lake in object storage: one listing of its prefix, so a refused key or a
    /// missing bucket stops the start with status 2 (the store unreachable, with status 1).
    private func checkObjectStore() async throws {
        let layout = configuration.layout
        guard layout.isObjectStore, let storage = configuration.ingest.objectStorage,
              let root = try? S3Location(uri: layout.root) else { return }
        do {
            try await S3Client(configuration: storage).checkAccess(root)
        } catch {
            let failure = StartupFailure.objectStore(root, storage, error)
            FileHandle.standardError.write(Data("vidpipe: \(failure)\n".utf8))
            throw failure.code == S3Error.Code.storageUnreachable.description ? ExitCode.failure : ExitStatus.usage
        }
    }

    /// Whether a file of the lake (a path, or an `s3://` object when the lake is in object
    /// storage) is there; an object store that cannot be asked counts as no.
    func lakeEntryExists(_ path: String) async -> Bool {
        guard path.hasPrefix("s3://") else { return FileManager.default.fileExists(atPath: path) }
        guard let storage = configuration.ingest.objectStorage, let location = try? S3Location(uri: path) else { return false }
        return (try? await S3Client(configuration: storage).head(location)) != nil
    }

    private func checkLocalStateIsWritable() throws {
        let layout = configuration.layout
        let root = layout.isObjectStore ? layout.stateRoot : layout.root
        let probe = root + "/.vidpipe-write-check-\(getpid())"
        var failure: Int32 = 0
        var folder = ""
        for component in root.split(separator: "/") where failure == 0 {
            folder += "/" + component
            if mkdir(folder, 0o755) != 0, errno != EEXIST { failure = errno }
        }
        if failure == 0 {
            let descriptor = open(probe, O_CREAT | O_EXCL | O_WRONLY, 0o600)
            if descriptor < 0 {
                failure = errno
            } else {
                // One page: a disk too full for this cannot take a job's staging or catalog writes.
                let page = [UInt8](repeating: 0, count: 4096)
                if write(descriptor, page, page.count) != page.count || fsync(descriptor) != 0 { failure = errno == 0 ? ENOSPC : errno }
                close(descriptor)
                unlink(probe)
            }
        }
        guard failure != 0 else { return }
        FileHandle.standardError.write(Data("vidpipe: \(StartupFailure.unwritableLake(root, errno: failure))\n".utf8))
        throw ExitStatus.usage
    }

    /// A job runner over `catalog`. `inlineMail` delivers each job's mail right after its
    /// commit (the CLI); without it the mail waits in the catalog for the daemon's notifier.
    /// Before it returns, it settles what jobs killed earlier left staged in the lake.
    /// `progress` hears each task a job enters and how its decode advances.
    func makeRunner(catalog: any Catalog, inlineMail: Bool = true,
                    progress: (@Sendable (JobProgress) -> Void)? = nil) async throws -> JobRunner {
        let context = JobContext(configuration: configuration.ingest, catalog: catalog,
                                 mailer: inlineMail ? mailTransport() : nil, logger: logger, progress: progress)
        let runner = try JobRunner(context: context)
        await runner.recoverStagedOutputs()
        return runner
    }

    /// Where mail goes: SMTP when `SMTP_SERVER` is set, else the `.eml` outbox in the lake.
    func mailTransport() -> any MailTransport {
        configuration.smtp.map { SMTPMailer(settings: $0) } ?? OutboxMailer(directory: configuration.layout.outbox)
    }
}
