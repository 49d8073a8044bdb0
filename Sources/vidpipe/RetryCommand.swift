import ArgumentParser
import Catalog
import Foundation
import Ingest

/// `vidpipe retry JOB`: runs a failed or rejected job's file through the whole pipeline
/// again, as a new job linked to the old one.
///
/// The retry's request id is `retry-<old job id>`, so the idempotency rules that answer a
/// redelivered request from the catalog also make a retry happen once: retrying the same
/// job again reports the recorded retry instead of running it twice. A retry that failed
/// too is retried by its own id. The new job reads the file as it is now (a file fixed
/// since is new content) and goes through deduplication like any other.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a failed or rejected job again, as a new job linked to the old one, and say what happened.",
        discussion: "Exit status: 0 when the retry is accepted, 1 when it is rejected or failed again, finds the file unchanged, or the job cannot be retried."
    )

    @Argument(help: "The failed or rejected job's id (or its request id).")
    var job: String

    @Option(help: "Recipient of the retry's notification, in addition to EMAIL_RECEIVER.")
    var email: String?

    @Flag(help: "Print JSON.")
    var json = false

    /// What `retry --json` prints (docs/schemas/retry.schema.json).
    struct Report: Encodable {
        /// The job that was retried.
        var retried: String
        /// `ran`: a new job ran now; `already_retried`: the recorded retry, not run again.
        var action: String
        var job: JobOutcome
    }

    func run() async throws {
        let inspection = try await CatalogInspection.open()
        guard let old = try await inspection.job(job) else {
            await inspection.close()
            throw inspection.notFound("job or request", job)
        }
        // A retry found to be a duplicate (its file was unchanged) may be retried once the file is fixed.
        guard old.state == .failed || old.state == .rejected || (old.state == .duplicate && old.retryOf != nil) else {
            await inspection.close()
            let detail = old.state == .duplicate ? " (a duplicate of video \(old.duplicateOf ?? "?"))" : ""
            FileHandle.standardError.write(Data("vidpipe: job \(old.id) \(old.state.rawValue)\(detail); only failed or rejected jobs are retried\n".utf8))
            throw ExitStatus.someRejected
        }
        let requestID = "retry-\(old.id)"
        if let recorded = try await inspection.catalog.job(requestID: requestID) {
            let outcome = try await JobOutcome.recorded(recorded, in: inspection.catalog)
            await inspection.close()
            return try report(Report(retried: old.id, action: "already_retried", job: outcome), of: old)
        }
        try await inspection.bootstrap.checkLakeIsWritable()
        let runner = try await inspection.bootstrap.makeRunner(catalog: inspection.catalog)
        let request = IngestRequest(path: old.sourcePath, requestID: requestID, email: email)
        let outcome = await runner.run(request, origin: .cli, retryOf: old.id)
        await inspection.close()
        try report(Report(retried: old.id, action: "ran", job: outcome), of: old)
    }

    private func report(_ report: Report, of old: JobRecord) throws {
        let outcome = report.job
        // The same bytes as the video the old job rejected: the retry changed nothing.
        let unchanged = outcome.state == .duplicate && outcome.duplicateOf != nil && outcome.duplicateOf == old.videoID
        if json {
            try CatalogInspection.printJSON(report)
        } else if report.action == "already_retried" {
            print("job \(report.retried) was already retried as job \(outcome.jobID): \(outcome.state.rawValue)"
                  + (outcome.isAccepted && !unchanged ? "" : "; to try again, run: vidpipe retry \(outcome.jobID)"))
        } else {
            print("retried job \(report.retried) as job \(outcome.jobID) (request \(outcome.requestID)):")
            print(SummaryTable.render([outcome]))
            if unchanged {
                print("the file has not changed since job \(old.id) (same content as its video \(old.videoID ?? "")): fix the file, then retry job \(outcome.jobID)")
            }
        }
        if !outcome.isAccepted || unchanged { throw ExitStatus.someRejected }
    }
}
