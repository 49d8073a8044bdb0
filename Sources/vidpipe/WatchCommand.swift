import ArgumentParser
import Daemon
import Foundation
import Ingest
import Logging
import ObjectStorage
import ServiceLifecycle

/// `vidpipe watch DIR` / `vidpipe watch s3://bucket/prefix`: the watcher producer. Created,
/// modified and deleted video files under DIR, or objects under the prefix, become requests
/// (Kafka in service mode, else the inbox).
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch a folder tree or an s3:// prefix and submit a request for every video created, modified or deleted.",
        discussion: """
        DIR is scanned recursively every --interval seconds (hidden files and folders are skipped). A file is \
        submitted once its size and modification time held still across two scans and it is at least --settle \
        seconds old, so files still being written are left alone. A <name>.json sidecar is attached as metadata. \
        An s3://bucket/prefix is listed (ListObjectsV2) every --interval seconds; an object is submitted when its \
        ETag or size changes (the store shows it only once written, so --settle does not apply), and its sidecar \
        is read by the daemon. A listing that fails is logged and skipped: no deleted requests come from it. \
        Files and objects present at start are not submitted unless --existing is given. Stops on SIGTERM or SIGINT.
        """
    )

    @Argument(help: "The folder or s3://bucket/prefix to watch; it must lie inside VIDPIPE_ALLOWED_ROOTS for the daemon to accept its files.")
    var directory: String

    @Option(help: "Seconds between scans.")
    var interval: Double = 1

    @Option(help: "Seconds a file must be left untouched before it is submitted.")
    var settle: Double = 1

    @Flag(help: "Also submit the files present when the watcher starts.")
    var existing = false

    @Option(help: "Who to tell about these files.")
    var email: String?

    func validate() throws {
        guard interval > 0, settle >= 0 else { throw ValidationError("--interval must be positive and --settle not negative") }
        if directory.hasPrefix("s3://") {
            do { _ = try S3Location(uri: directory) } catch { throw ValidationError(error.message) }
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a folder")
        }
    }

    func run() async throws {
        let bootstrap = try Bootstrap()
        let service: any Service
        if directory.hasPrefix("s3://") {
            guard let store = bootstrap.configuration.ingest.objectStorage else {
                FileHandle.standardError.write(Data("""
                    vidpipe: \(directory) is in object storage, but no store is configured: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                    (and AWS_ENDPOINT_URL for a store other than AWS, AWS_REGION if not us-east-1)

                    """.utf8))
                throw ExitStatus.usage
            }
            let watcher = ObjectWatcher(prefix: try S3Location(uri: directory), emitExisting: existing, email: email)
            service = ObjectWatchService(watcher: watcher, client: S3Client(configuration: store), sink: try RequestSink.make(bootstrap),
                                         interval: .milliseconds(Int(interval * 1000)), logger: bootstrap.logger)
        } else {
            let absolute = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).standardizedFileURL.path
            let watcher = FolderWatcher(root: absolute, settle: .milliseconds(Int(settle * 1000)), emitExisting: existing, email: email)
            service = FolderWatchService(watcher: watcher, sink: try RequestSink.make(bootstrap), interval: .milliseconds(Int(interval * 1000)),
                                         logger: bootstrap.logger)
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: bootstrap.logger))
        try await group.run()
    }
}

/// Polls the watcher and sends what it finds until graceful shutdown.
private struct FolderWatchService: Service {
    let watcher: FolderWatcher
    let sink: RequestSink
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var watcher = watcher
        logger.info("watching a folder", metadata: ["folder": "\(watcher.root)"])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            for request in watcher.poll() {
                do {
                    let destination = try await sink.submit(request)
                    print("\(request.fileEvent.rawValue) \(request.path) as request \(request.requestID) (\(destination))")
                } catch {
                    // The file's state is already noted: say loudly that this event was not sent.
                    logger.error("request not sent", metadata: [LogKeys.path: "\(request.path)", LogKeys.error: "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        logger.info("watcher stopped")
        await sink.close()
    }
}

/// Lists the prefix and sends what the watcher finds until graceful shutdown. A listing
/// that fails (the store down, a page that did not come) is dropped whole: the watcher
/// keeps its state, so no object looks deleted, and carries on when the store answers.
private struct ObjectWatchService: Service {
    let watcher: ObjectWatcher
    let client: S3Client
    let sink: RequestSink
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var watcher = watcher
        var failing = false
        logger.info("watching an object store prefix", metadata: ["prefix": "\(watcher.prefix)"])
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let listing = try await client.list(watcher.prefix)
                if failing { logger.notice("the object store answers again; watching resumes", metadata: ["prefix": "\(watcher.prefix)"]) }
                failing = false
                for request in watcher.changes(in: listing) {
                    do {
                        let destination = try await sink.submit(request)
                        print("\(request.fileEvent.rawValue) \(request.path) as request \(request.requestID) (\(destination))")
                    } catch {
                        logger.error("request not sent", metadata: [LogKeys.path: "\(request.path)", LogKeys.error: "\(error)"])
                    }
                }
            } catch {
                if !Task.isCancelled {
                    logger.error("cannot list the prefix; the last listing is kept and no change is sent until the store answers",
                                 metadata: ["prefix": "\(watcher.prefix)", LogKeys.error: "\(error)"])
                }
                failing = true
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        logger.info("watcher stopped")
        await sink.close()
    }
}
