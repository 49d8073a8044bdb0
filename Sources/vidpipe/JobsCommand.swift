import ArgumentParser
import Catalog
import Foundation

/// `vidpipe jobs`: jobs from the catalog, newest first, filtered by state and age.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List jobs from the catalog, newest first."
    )

    @Option(name: .customLong("state"), help: "Only jobs in this state (succeeded, rejected, failed, duplicate); repeat for several.")
    var states: [JobState] = []

    @Option(help: ArgumentHelp("Only jobs created within this long (e.g. 90s, 30m, 1h, 2d).", valueName: "age"))
    var since: AgeOption?

    @Option(help: "At most this many jobs.")
    var limit = 50

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be 1 or more") }
    }

    func run() async throws {
        let inspection = try await CatalogInspection.open()
        defer { Task { await inspection.close() } }
        let query = JobQuery(states: states, createdSince: since.map { Date().addingTimeInterval(-$0.seconds) }, limit: limit)
        let jobs = try await inspection.catalog.jobs(matching: query)
        if json { return try CatalogInspection.printJSON(jobs) }
        print(JobTable.render(jobs))
    }
}
