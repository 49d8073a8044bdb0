import Catalog
import Foundation
import Logging
import Scheduler

/// Runs jobs through the DAG, at most `jobConcurrency` at a time, and makes sure every
/// job, whatever happens to it, ends recorded in the catalog and its log.
public struct JobRunner: Sendable {
    public let context: JobContext
    public let dags: JobDAGs
    private let bronze: BronzeStage
    private let scheduler: TaskScheduler
    private let jobSlots: AsyncSemaphore

    public init(context: JobContext) throws {
        let configuration = context.configuration
        self.context = context
        self.bronze = BronzeStage(configuration: configuration, catalog: context.catalog)
        let memoryBudget = configuration.memoryBudgetBytes.map { budget in
            WeightedSemaphore(capacity: Int(max(1, budget - IngestConfiguration.processBaseBytes)))
        }
        self.dags = try JobDAGs(bronze: bronze, silver: SilverStage(configuration: configuration, memoryBudget: memoryBudget),
                                gold: GoldStage(configuration: configuration, catalog: context.catalog, mailer: context.mailer))
        self.scheduler = TaskScheduler(cpuHeavyLimiter: AsyncSemaphore(permits: configuration.cpuConcurrency))
        self.jobSlots = AsyncSemaphore(permits: configuration.jobConcurrency)
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

        let run = await runStages(ticket)
        // Cut short from outside (the shutdown deadline) before gold committed: that is no
        // result to record. Left unrecorded, like a crash, the request is offered again and
        // redone on the next start.
        let interrupted = run.committed == nil && Task.isCancelled
        var gold = (result: run.values[GoldStage.result], committed: run.committed,
                    error: run.failures.first { $0.task.hasPrefix("gold.") }?.error)
        if gold.result == nil, !interrupted {
            gold = await recordStop(of: ticket, by: run)
        }
        await bronze.releaseClaims(of: ticket)
        if let committed = gold.committed { await recordGoldTaskRuns(of: ticket, after: committed, logger: logger) }

        var outcome = JobOutcome(result: gold.result, committed: gold.committed != nil, goldError: gold.error, ticket: ticket, run: run)
        if interrupted {
            outcome.errorCode = IngestError.Code.interrupted.rawValue
            outcome.message = "not recorded: the job was interrupted (shutdown) before it finished; it runs again on the next start"
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
        return await scheduler.run(dag, inputs: inputs, observer: ticket.observe)
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
            let gold = await scheduler.run(dags.goldForFailure, inputs: inputs, observer: ticket.observe)
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
