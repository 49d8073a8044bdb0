import Foundation
import Ingest
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The embedded daemon's intake: polls the inbox and runs each request as a job.
///
/// On graceful shutdown it stops taking requests; jobs already started run to the end
/// (the service group's deadline bounds them), so nothing taken is left half-done.
public struct InboxService: Service {
    let inbox: Inbox
    let runner: JobRunner
    let pollInterval: Duration
    let logger: Logger
    let onReady: @Sendable () -> Void

    /// Takes requests from the inbox of the runner's lake, looking every `pollInterval`.
    /// `onReady` is called once the inbox exists and is about to be read (systemd's READY=1).
    public init(runner: JobRunner, pollInterval: Duration, logger: Logger, onReady: @escaping @Sendable () -> Void = {}) {
        self.inbox = Inbox(layout: runner.context.configuration.layout)
        self.runner = runner
        self.pollInterval = pollInterval
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        logger.info("watching the inbox", metadata: ["inbox": "\(inbox.layout.inbox)"])
        try FileManager.default.createDirectory(atPath: inbox.layout.inbox, withIntermediateDirectories: true)
        onReady()
        let slots = runner.context.configuration.jobConcurrency
        let inFlight = InFlightRequests()
        await withDiscardingTaskGroup { group in
            let queueDepth = Gauge(label: "vidpipe_intake_queue_depth", dimensions: [("origin", "inbox")])
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let pending = inbox.pending()
                for path in pending {
                    let taken = inFlight.paths.withLock { taken in
                        guard taken.count < slots, !taken.contains(path) else { return false }
                        return taken.insert(path).inserted
                    }
                    guard taken else { continue }
                    // Jobs are not cancelled by shutdown: they finish within the grace period.
                    group.addTask {
                        await handle(path)
                        inFlight.paths.withLock { _ = $0.remove(path) }
                    }
                }
                // Request files seen and not taken: they wait for a job slot.
                queueDepth.record(inFlight.paths.withLock { taken in pending.count(where: { !taken.contains($0) }) })
                try? await Task.sleep(for: pollInterval)
            }
            logger.info("inbox closed for shutdown; waiting for jobs in flight", metadata: ["jobs": "\(inFlight.paths.withLock(\.count))"])
        }
    }

    private func handle(_ path: String) async {
        let request: IngestRequest
        do {
            request = try inbox.read(path)
        } catch {
            logger.warning("rejected request file", metadata: [LogKeys.request: "\(path)", LogKeys.error: "\(error)"])
            inbox.markRejected(path, reason: error.description)
            return
        }
        // A crash between the gold commit and filing the request leaves it here although
        // its job is recorded: file it, do not run it twice.
        if let recorded = try? await runner.context.catalog.job(requestID: request.requestID) {
            logger.info("request already recorded; filing it", metadata: [LogKeys.request: "\(path)", LogKeys.job: "\(recorded.id)"])
            inbox.markDone(path)
            return
        }
        let outcome = await runner.run(request, origin: .inbox)
        if outcome.recorded {
            inbox.markDone(path)
        }
    }
}

/// Request files taken by a job that has not finished, so a poll does not take them twice.
private final class InFlightRequests: Sendable {
    let paths = Mutex(Set<String>())
}
