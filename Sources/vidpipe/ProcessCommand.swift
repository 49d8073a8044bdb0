import ArgumentParser
import Foundation
import Ingest
import Webhooks

/// `vidpipe process FILE...`: the whole job DAG on local files or `s3://` objects, no
/// servers needed but the object store.
struct ProcessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Run the whole pipeline on local video files or s3://bucket/key objects and print a summary.",
        discussion: "Exit status: 0 when every file is accepted (passed, warned or already known), 1 when some are rejected or failed, 2 on a usage or configuration error."
    )

    @Argument(help: "Video files or s3://bucket/key objects to process.")
    var files: [String]

    @Flag(help: "Print a machine-readable JSON report instead of the table.")
    var json = false

    @Option(help: "Recipient of this batch's notifications, in addition to EMAIL_RECEIVER.")
    var email: String?

    @Option(help: ArgumentHelp("After the jobs, keep retrying webhooks not yet delivered (on their backoff) for up to this many seconds.",
                               discussion: "Default 0: one attempt at each due webhook; `vidpipe run` or the next `vidpipe process` retries the rest.",
                               valueName: "seconds"))
    var webhookWait: Double = 0

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one video file") }
        guard webhookWait >= 0, webhookWait.isFinite else { throw ValidationError("--webhook-wait must be 0 or more seconds") }
    }

    func run() async throws {
        let bootstrap = try Bootstrap(consoleLevel: .warning)
        if bootstrap.configuration.ingest.objectStorage == nil, let object = files.first(where: { $0.hasPrefix("s3://") }) {
            FileHandle.standardError.write(Data("""
                vidpipe: \(object) is in object storage, but no store is configured: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                (and AWS_ENDPOINT_URL for a store other than AWS, AWS_REGION if not us-east-1)

                """.utf8))
            throw ExitStatus.usage
        }
        try await bootstrap.checkLakeIsWritable()
        let catalog = try await bootstrap.openCatalog()
        let progress = ProgressDisplay(total: files.count)
        let runner = try await bootstrap.makeRunner(catalog: catalog, progress: progress.update)
        let cwd = FileManager.default.currentDirectoryPath
        let requests = files.map { file in
            IngestRequest(path: file.hasPrefix("/") || file.hasPrefix("s3://") ? file : URL(fileURLWithPath: cwd + "/" + file).standardizedFileURL.path,
                          email: email)
        }
        let outcomes = await runner.run(requests, origin: .cli) { progress.advance(with: $0) }
        progress.finish()
        // Each due webhook (this run's and earlier runs' retries that came due) is tried; what
        // still fails after --webhook-wait stays pending for `vidpipe run`, or the next `process`.
        var webhooksPending = 0
        if let settings = bootstrap.configuration.webhookSettings {
            webhooksPending = await WebhookDispatcher(catalog: catalog, settings: settings, logger: bootstrap.logger)
                .drain(retryingFor: .seconds(webhookWait)) ?? 0
        }
        try? await catalog.close()

        if json {
            let report = ProcessReport(outcomes: outcomes, layout: bootstrap.configuration.layout)
            print(String(decoding: try JSONEncoder.vidpipe.encode(report), as: UTF8.self))
        } else {
            print(SummaryTable.render(outcomes))
            let layout = bootstrap.configuration.layout
            print("""

            \(outcomes.filter(\.isAccepted).count) accepted, \(outcomes.filter { !$0.isAccepted }.count) rejected or failed, of \(outcomes.count)
            catalog   \(layout.catalog)   (vidpipe status)
            bronze    \(layout.bronze)
            job logs  \(layout.logs)
            mail      \(layout.outbox)
            """)
            if webhooksPending > 0 {
                print("webhooks  \(webhooksPending) not delivered yet; `vidpipe run` or the next `vidpipe process` retries them (or wait here: --webhook-wait SECONDS)")
            }
        }
        if outcomes.contains(where: { !$0.isAccepted }) { throw ExitStatus.someRejected }
    }
}

/// The `--json` report of `vidpipe process`.
struct ProcessReport: Encodable {
    var accepted: Int
    var rejected: Int
    var jobs: [JobOutcome]
    var catalog: String
    var outbox: String

    init(outcomes: [JobOutcome], layout: DatalakeLayout) {
        accepted = outcomes.filter(\.isAccepted).count
        rejected = outcomes.count - accepted
        jobs = outcomes
        catalog = layout.catalog
        outbox = layout.outbox
    }
}
