import Catalog
import Foundation
import Logging
import Scheduler

/// How one job ended, as the CLI prints it and `--json` reports it.
public struct JobOutcome: Sendable, Codable, Equatable {
    public var jobID: String
    public var requestID: String
    public var path: String
    public var state: JobState
    public var verdict: String?
    public var errorCode: String?
    public var message: String?
    public var videoID: String?
    public var duplicateOf: String?
    public var sha256: String?
    public var durationSeconds: Double?
    public var findings: [String]
    public var notifications: [String]
    public var logPath: String
    /// False when even the catalog write failed: the request must be offered again.
    public var recorded: Bool

    /// Accepted means the video passed (or warned) or was already known.
    public var isAccepted: Bool { state == .succeeded || state == .duplicate }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id", requestID = "request_id", path, state, verdict, errorCode = "error_code", message
        case videoID = "video_id", duplicateOf = "duplicate_of", sha256, durationSeconds = "duration_seconds"
        case findings, notifications, logPath = "log_path", recorded
    }
}

/// Runs jobs through the DAG, at most `jobConcurrency` at a time, and makes sure every
/// job, whatever happens to it, ends recorded in the catalog and its log.
public struct JobRunner: Sendable {
    public let context: JobContext
    public let dags: JobDAGs
    private let scheduler: TaskScheduler
    private let jobSlots: AsyncSemaphore

    public init(context: JobContext) throws {
        self.context = context
        self.dags = try JobDAGs(context: context)
        self.scheduler = TaskScheduler(cpuHeavyLimiter: AsyncSemaphore(permits: context.configuration.cpuConcurrency))
        self.jobSlots = AsyncSemaphore(permits: context.configuration.jobConcurrency)
    }

    /// Runs many requests concurrently (bounded); outcomes come back in input order.
    public func run(_ requests: [IngestRequest], origin: JobOrigin,
                    progress: @escaping @Sendable (JobOutcome) -> Void = { _ in }) async -> [JobOutcome] {
        await withTaskGroup(of: (Int, JobOutcome).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask {
                    let outcome = await run(request, origin: origin)
                    progress(outcome)
                    return (index, outcome)
                }
            }
            var outcomes = [JobOutcome?](repeating: nil, count: requests.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.compactMap(\.self)
        }
    }

    /// Runs one request: the whole DAG, or on a stop, gold alone to record why.
    public func run(_ request: IngestRequest, origin: JobOrigin) async -> JobOutcome {
        let ticket = JobTicket(request: request, origin: origin, logDirectory: context.configuration.layout.logs)
        var logger = context.logger
        logger[metadataKey: LogKeys.job] = "\(ticket.id)"
        logger[metadataKey: LogKeys.path] = "\(request.path)"
        let slot: Void? = try? await jobSlots.acquire()
        defer { if slot != nil { jobSlots.release() } }

        ticket.log.write("job.started", detail: ["path": request.path, "origin": origin.rawValue, "request_id": request.requestID])
        logger.info("job started")
        let started = ContinuousClock.now

        var inputs = ArtifactValues()
        inputs[JobArtifacts.ticket] = ticket
        var dag = dags.whole
        if request.fileEvent == .deleted {
            // A deleted file has nothing to read: gold alone records it and tells people.
            inputs[JobArtifacts.result] = try? JobResult.deleted(ticket: ticket, context: context)
            dag = dags.goldForFailure
        }
        let run = await scheduler.run(dag, inputs: inputs, observer: ticket.observe)
        var result = run.values[JobArtifacts.result]
        var committed = run.values[JobArtifacts.committed]
        var goldError = run.failures.first { $0.task.hasPrefix("gold.") }?.error

        // Cut short from outside (the shutdown deadline) before gold committed: that is no
        // result to record. Left unrecorded, like a crash, the request is offered again and
        // redone on the next start.
        let interrupted = committed == nil && Task.isCancelled
        if result == nil, !interrupted {
            // Bronze or silver stopped the job: record the reason through gold alone.
            do {
                let stopped = try await JobResult.stopped(ticket: ticket, by: run, context: context)
                ticket.runs.forget(tasks: dags.goldForFailure.taskNames)
                var goldInputs = ArtifactValues()
                goldInputs[JobArtifacts.ticket] = ticket
                goldInputs[JobArtifacts.result] = stopped
                let gold = await scheduler.run(dags.goldForFailure, inputs: goldInputs, observer: ticket.observe)
                result = stopped
                committed = gold.values[JobArtifacts.committed]
                goldError = gold.failures.first?.error
            } catch {
                goldError = error
            }
        }
        if let hash = ticket.claimedHash.withLock({ $0 }) { await context.claims.release(hash) }

        // The gold tasks' own runs finished after the commit: add them now.
        if let committed {
            let remaining = Array(ticket.runs.all().dropFirst(committed.taskRunsRecorded))
            do { try await context.catalog.recordTaskRuns(remaining) } catch {
                logger.warning("could not record the gold task runs", metadata: [LogKeys.error: "\(error)"])
            }
        }
        var outcome = JobOutcome(result: result, committed: committed != nil, goldError: goldError, ticket: ticket, run: run)
        if interrupted {
            outcome.errorCode = IngestError.Code.interrupted.rawValue
            outcome.message = "not recorded: the job was interrupted (shutdown) before it finished; it runs again on the next start"
        }
        ticket.log.write("job.finished", durationMilliseconds: (ContinuousClock.now - started).milliseconds,
                         errorCode: outcome.errorCode, error: outcome.message,
                         detail: ["state": outcome.state.rawValue, "verdict": outcome.verdict ?? "", "recorded": "\(outcome.recorded)"])
        if interrupted {
            logger.notice("job interrupted by the shutdown; not recorded, it runs again on the next start")
        } else if outcome.recorded {
            logger.info("job finished", metadata: [LogKeys.state: "\(outcome.state.rawValue)", LogKeys.verdict: "\(outcome.verdict ?? "-")"])
        } else {
            logger.error("job could not be recorded", metadata: [LogKeys.error: "\(outcome.message ?? "")"])
        }
        return outcome
    }
}

extension JobOutcome {
    init(result: JobResult?, committed: Bool, goldError: (any Error)?, ticket: JobTicket, run: DAGRunResult) {
        let job = result?.job
        self.init(
            jobID: ticket.id, requestID: ticket.request.requestID, path: ticket.request.path,
            state: committed ? (job?.state ?? .failed) : .failed,
            verdict: job?.verdict, errorCode: job?.errorCode, message: job?.errorMessage,
            videoID: job?.videoID, duplicateOf: job?.duplicateOf, sha256: run.values[JobArtifacts.hash]?.hex,
            durationSeconds: run.values[JobArtifacts.probe]?.container.durationSeconds,
            findings: result?.findings.map { "\($0.severity): \($0.message)" } ?? [],
            notifications: result?.emails.map(\.messageID) ?? [],
            logPath: ticket.log.path, recorded: committed)
        if !committed {
            let (code, message) = goldError.map(IngestError.describe) ?? (IngestError.Code.internalError.rawValue, "the catalog write did not happen")
            self.errorCode = code
            self.message = "not recorded: \(message)"
        }
    }
}

/// Metadata keys of every log line vidpipe writes, in one place.
public enum LogKeys {
    public static let job = "job"
    public static let path = "path"
    public static let state = "state"
    public static let verdict = "verdict"
    public static let error = "error"
    public static let request = "request"
}
