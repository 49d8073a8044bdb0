import Catalog
import Execution
import Foundation
import Logging
import Scheduler

/// Runs jobs through the DAG, at most `jobConcurrency` at a time, and makes sure every
/// job, whatever happens to it, ends recorded in the catalog and its log.
public struct JobRunner: Sendable {
    public let context: JobContext
    public let dags: JobDAGs
    private let bronze: BronzeStage
    private let lake: any LakeStore
    private let scheduler: TaskScheduler
    private let jobSlots: AsyncSemaphore

    public init(context: JobContext) throws {
        let configuration = context.configuration
        self.context = context
        self.lake = try LakeStores.make(for: configuration)
        self.bronze = BronzeStage(configuration: configuration, catalog: context.catalog, lake: lake)
        let memoryBudget = configuration.memoryBudgetBytes.map { budget in
            WeightedSemaphore(capacity: Int(max(1, budget - IngestConfiguration.processBaseBytes)))
        }
        self.dags = try JobDAGs(bronze: bronze, silver: SilverStage(configuration: configuration, memoryBudget: memoryBudget,
                                                                        progress: context.progress),
                                gold: GoldStage(configuration: configuration, catalog: context.catalog, lake: lake, mailer: context.mailer))
        self.scheduler = TaskScheduler(cpuHeavyLimiter: AsyncSemaphore(permits: configuration.cpuConcurrency))
        self.jobSlots = AsyncSemaphore(permits: configuration.jobConcurrency)
    }

    /// Publishes or removes the silver outputs that jobs killed earlier left staged or
    /// uploaded, and removes their scratch folders; call once before taking work.
    public func recoverStagedOutputs() async {
        await lake.recover(catalog: context.catalog, logger: context.logger)
        bronze.scratch.removeLeftovers(logger: context.logger)
    }

    /// Runs many requests concurrently (bounded); outcomes come back in input order. Jobs
    /// are admitted in that order too, so of identical files the first named becomes the
    /// original and the others its duplicates (see ``ContentClaims``).
    public func run(_ requests: [IngestRequest], origin: JobOrigin,
                    progress: @escaping @Sendable (JobOutcome) -> Void = { _ in }) async -> [JobOutcome] {
        let batch = UUID().uuidString
        return await withTaskGroup(of: (Int, JobOutcome).self) { group in
            for (index, request) in requests.enumerated() {
                let admission = await admit(request, origin: origin, batch: batch)
                group.addTask {
                    let outcome = await run(admission)
                    progress(outcome)
                    return (index, outcome)
                }
            }
            var outcomes = [JobOutcome?](repeating: nil, count: requests.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.compactMap(\.self)
        }
    }

    /// Runs one request: the whole DAG, or on a stop, gold alone to record why. `retryOf`
    /// links the job to the failed or rejected job it runs again; `admitted` is called once
    /// the job holds its slot (it stops waiting in the intake's queue).
    public func run(_ request: IngestRequest, origin: JobOrigin, retryOf: String? = nil,
                    admitted: @Sendable () -> Void = {}) async -> JobOutcome {
        let admission = await admit(request, origin: origin, retryOf: retryOf, batch: nil)
        admitted()
        return await run(admission)
    }

    /// A job let in: its ticket, and whether it holds a job slot to give back.
    private struct Admission: Sendable {
        let ticket: JobTicket
        let holdsSlot: Bool
    }

    /// Waits for a job slot and issues the ticket. Without a slot (the wait was cancelled
    /// by the shutdown) the job still runs, to record that it was interrupted.
    private func admit(_ request: IngestRequest, origin: JobOrigin, retryOf: String? = nil, batch: String?) async -> Admission {
        let slot: Void? = try? await jobSlots.acquire()
        let ticket = JobTicket(request: request, origin: origin, retryOf: retryOf, logDirectory: context.configuration.layout.logs)
        if let batch { await bronze.claims.admit(ticket.id, batch: batch) }
        return Admission(ticket: ticket, holdsSlot: slot != nil)
    }

    private func run(_ admission: Admission) async -> JobOutcome {
        defer { if admission.holdsSlot { jobSlots.release() } }
        JobMetrics.inFlight.increment()
        defer { JobMetrics.inFlight.decrement() }
        let ticket = admission.ticket
        var logger = context.logger
        logger[metadataKey: LogKeys.job] = "\(ticket.id)"
        logger[metadataKey: LogKeys.request] = "\(ticket.request.requestID)"
        logger[metadataKey: LogKeys.path] = "\(ticket.request.path)"
        ticket.log.write("job.started", detail: ["path": ticket.request.path, "origin": ticket.origin.rawValue,
                                                 "request_id": ticket.request.requestID])
        logger.info("job started")
        let started = ContinuousClock.now
        let staging = SilverStaging.Lease(layout: context.configuration.layout, jobID: ticket.id)

        let run = await runStages(ticket)
        // Cut short from outside (the shutdown deadline) before gold committed: that is no
        // result to record. Left unrecorded, like a crash, the request is offered again and
        // redone on the next start. An outage that outlived its retries is not the video's
        // fault either: recording it as failed would stop it from ever being redone.
        let interrupted = run.committed == nil && Task.isCancelled
        let outage = run.committed == nil ? infrastructureFailure(in: run) : nil
        var gold = (result: run.values[GoldStage.result], committed: run.committed,
                    error: run.failures.first { $0.task.hasPrefix("gold.") }?.error)
        if gold.result == nil, !interrupted, outage == nil {
            gold = await recordStop(of: ticket, by: run)
        }
        if gold.committed == nil, let videoID = run.values[BronzeStage.newContent]?.videoID {
            await lake.discardSilver(jobID: ticket.id, videoID: videoID)
        }
        staging?.end(publishing: gold.committed != nil && gold.result?.video != nil)
        if gold.committed != nil { countBytes(of: run) }
        if let video = ticket.log.videoID { logger[metadataKey: LogKeys.video] = "\(video)" }
        bronze.releaseScratch(of: ticket)
        await bronze.releaseClaims(of: ticket)
        if let committed = gold.committed { await recordGoldTaskRuns(of: ticket, after: committed, logger: logger) }

        var outcome = JobOutcome(result: gold.result, committed: gold.committed != nil, goldError: gold.error, ticket: ticket, run: run)
        if interrupted {
            outcome.errorCode = IngestError.Code.interrupted.rawValue
            outcome.message = "not recorded: the job was interrupted (shutdown) before it finished; it runs again on the next start"
        } else if let outage {
            // The lake's own codes (disk_full, io_error) say more than the generic one.
            let (code, message) = IngestError.describe(outage.error)
            outcome.errorCode = outage.error is IngestError ? code : IngestError.Code.infrastructureUnavailable.rawValue
            outcome.message = "not recorded: \(outage.task) still failed after retrying for "
                + "\(Int(context.configuration.outageToleranceSeconds)) s (\(message)); "
                + "the job runs again later (VIDPIPE_OUTAGE_TOLERANCE_SECONDS sets how long it waits in place)"
        }
        finish(ticket, outcome: outcome, interrupted: interrupted, startedAt: started, logger: logger)
        return outcome
    }

    /// The whole DAG; a `deleted` request has nothing to read, so gold alone records it.
    private func runStages(_ ticket: JobTicket) async -> DAGRunResult {
        var inputs = ArtifactValues()
        inputs[JobTicket.artifact] = ticket
        var dag = dags.whole
        if ticket.request.fileEvent == .deleted {
            inputs[GoldStage.result] = try? JobResult.deleted(ticket: ticket, configuration: context.configuration)
            dag = dags.goldForFailure
        }
        return await scheduler.run(dag, inputs: inputs, observer: observer(of: ticket))
    }

    /// Every transition goes to the job's log and task runs, the task-duration metric, and
    /// the progress display.
    private func observer(of ticket: JobTicket) -> @Sendable (TaskTransition) -> Void {
        let progress = context.progress
        return { transition in
            ticket.observe(transition)
            JobMetrics.taskEnded(transition)
            if transition.state == .running {
                progress?(JobProgress(jobID: ticket.id, path: ticket.request.path, stage: transition.task))
            }
        }
    }

    /// The source bytes this recorded job read (the silver bytes it published are counted
    /// by `gold.publish`).
    private func countBytes(of run: DAGRunResult) {
        if run.values[BronzeStage.hash] != nil, let file = run.values[BronzeStage.file] { JobMetrics.bytesIn(file.sizeBytes) }
    }

    /// The failure that stopped the job when it is the infrastructure's and not the video's:
    /// every failure is a retryable error (catalog, lake, broker, mail server) that outlived
    /// its retries. A timeout of CPU-heavy work belongs to the file (it takes too long to
    /// process), so it is recorded like any other fault of the input.
    private func infrastructureFailure(in run: DAGRunResult) -> TaskFailure? {
        let transient = run.failures.allSatisfy { failure in
            guard (failure.error as? any RetryableError)?.isRetryable == true else { return false }
            let timedOut = (failure.error as? TaskExecutionError)?.code == .timedOut
            return !(timedOut && dags.whole.options(of: failure.task)?.resource == .cpuHeavy)
        }
        return transient ? run.failures.first : nil
    }

    /// Bronze or silver stopped the job: records the reason through gold alone.
    private func recordStop(of ticket: JobTicket, by run: DAGRunResult) async
        -> (result: JobResult?, committed: CommittedJob?, error: (any Error)?) {
        do {
            let stopped = try await JobResult.stopped(ticket: ticket, by: run, configuration: context.configuration,
                                                      catalog: context.catalog)
            ticket.runs.forget(tasks: dags.goldForFailure.taskNames)
            var inputs = ArtifactValues()
            inputs[JobTicket.artifact] = ticket
            inputs[GoldStage.result] = stopped
            let gold = await scheduler.run(dags.goldForFailure, inputs: inputs, observer: observer(of: ticket))
            return (stopped, gold.committed, gold.failures.first?.error)
        } catch {
            return (nil, nil, error)
        }
    }

    /// The gold tasks' own runs finished after the commit: adds them now.
    private func recordGoldTaskRuns(of ticket: JobTicket, after committed: CommittedJob, logger: Logger) async {
        let remaining = Array(ticket.runs.all().dropFirst(committed.taskRunsRecorded))
        do { try await context.catalog.recordTaskRuns(remaining) } catch {
            logger.warning("could not record the gold task runs", metadata: [LogKeys.error: "\(error)"])
        }
    }

    private func finish(_ ticket: JobTicket, outcome: JobOutcome, interrupted: Bool, startedAt: ContinuousClock.Instant,
                        logger: Logger) {
        ticket.log.write("job.finished", durationMilliseconds: (ContinuousClock.now - startedAt).milliseconds,
                         errorCode: outcome.errorCode, error: outcome.message,
                         detail: ["state": outcome.state.rawValue, "verdict": outcome.verdict ?? "", "recorded": "\(outcome.recorded)"])
        if interrupted {
            logger.notice("job interrupted by the shutdown; not recorded, it runs again on the next start")
        } else if outcome.recorded {
            JobMetrics.recorded(state: outcome.state, verdict: outcome.verdict)
            logger.info("job finished", metadata: [LogKeys.state: "\(outcome.state.rawValue)", LogKeys.verdict: "\(outcome.verdict ?? "-")"])
        } else {
            logger.error("job could not be recorded", metadata: [LogKeys.error: "\(outcome.message ?? "")"])
        }
    }
}

extension DAGRunResult {
    /// What gold's catalog task wrote, when it ran.
    var committed: CommittedJob? { values[GoldStage.committed] }
}
