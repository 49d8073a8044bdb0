import ArgumentParser
import Daemon
import Foundation
import Ingest
import Logging
import ServiceLifecycle

/// `vidpipe watch DIR`: the folder-watcher producer. Created, modified and deleted video
/// files under DIR become requests (Kafka in service mode, else the inbox).
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch a folder tree and submit a request for every video file created, modified or deleted.",
        discussion: """
        DIR is scanned recursively every --interval seconds (hidden files and folders are skipped). A file is \
        submitted once its size and modification time held still across two scans and it is at least --settle \
        seconds old, so files still being written are left alone. A <name>.json sidecar is attached as metadata. \
        Files present at start are not submitted unless --existing is given. Stops on SIGTERM or SIGINT.
        """
    )

    @Argument(help: "The folder to watch; it must lie inside VIDPIPE_ALLOWED_ROOTS for the daemon to accept its files.")
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
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a folder")
        }
    }

    func run() async throws {
        let bootstrap = try Bootstrap()
        let sink = try RequestSink.make(bootstrap)
        let absolute = URL(fileURLWithPath: directory, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).standardizedFileURL.path
        let watcher = FolderWatcher(root: absolute, settle: .milliseconds(Int(settle * 1000)), emitExisting: existing, email: email)
        let service = FolderWatchService(watcher: watcher, sink: sink, interval: .milliseconds(Int(interval * 1000)), logger: bootstrap.logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: bootstrap.logger))
        try await group.run()
        await sink.close()
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
    }
}
