import ArgumentParser
import Catalog
import Foundation
import Ingest

/// What the inspection commands (`status`, `jobs`, `show`, `retry`, `logs`) share: the
/// opened catalog, finding a job from what a user types, and the DAG's task order.
struct CatalogInspection {
    let bootstrap: Bootstrap
    let catalog: any Catalog

    /// Loads the configuration and opens the catalog (SQLite or PostgreSQL); stderr shows
    /// warnings only, so `--json` output stays clean.
    static func open() async throws -> CatalogInspection {
        let bootstrap = try Bootstrap(consoleLevel: .warning)
        return CatalogInspection(bootstrap: bootstrap, catalog: try await bootstrap.openCatalog())
    }

    var layout: DatalakeLayout { bootstrap.configuration.layout }

    func close() async { try? await catalog.close() }

    /// The job with this job id or request id, or nil.
    func job(_ id: String) async throws -> JobRecord? {
        if let job = try await catalog.job(id: id) { return job }
        return try await catalog.job(requestID: id)
    }

    /// Prints what was looked for and where, and exits with status 1.
    func notFound(_ what: String, _ target: String) -> ExitCode {
        FileHandle.standardError.write(Data("vidpipe: no \(what) \"\(target)\" in the catalog \(bootstrap.catalogDescription)\n".utf8))
        return ExitStatus.someRejected
    }

    /// A job's task runs in the order the job's DAG runs them (attempts in order), rather
    /// than the catalog's alphabetical order. Tasks the DAG no longer has go last.
    func inDAGOrder(_ runs: [TaskRunRecord]) throws -> [TaskRunRecord] {
        let context = JobContext(configuration: bootstrap.configuration.ingest, catalog: catalog, mailer: nil, logger: bootstrap.logger)
        let names = try JobRunner(context: context).dags.whole.taskNames
        let position = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        return runs.enumerated().sorted { left, right in
            let (l, r) = (position[left.element.task] ?? names.count, position[right.element.task] ?? names.count)
            return (l, left.element.attempt, left.offset) < (r, right.element.attempt, right.offset)
        }.map(\.element)
    }

    /// A path as the catalog records it: absolute, relative to the working folder.
    static func absolutePath(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).standardizedFileURL.path
    }

    /// Prints `value` as vidpipe's JSON (snake_case keys, sorted, ISO-8601 dates).
    static func printJSON(_ value: some Encodable) throws {
        print(String(decoding: try JSONEncoder.vidpipe.encode(value), as: UTF8.self))
    }
}

/// A duration typed as `90s`, `30m`, `1h` or `2d`.
struct AgeOption: ExpressibleByArgument, Sendable {
    let seconds: TimeInterval

    init?(argument: String) {
        let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        guard let unit = argument.last.flatMap({ units[$0] }), let count = Double(argument.dropLast()), count >= 0, count.isFinite else {
            return nil
        }
        seconds = count * unit
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension JobState: ExpressibleByArgument {}

/// The `jobs` table of the CLI: one row per job, newest first.
enum JobTable {
    static func render(_ jobs: [JobRecord]) -> String {
        let rows = jobs.map { job in
            [job.id, job.createdAt.formatted(.iso8601), job.state.rawValue, job.verdict ?? "-",
             (job.sourcePath as NSString).lastPathComponent, note(job)]
        }
        return TextTable.render(header: ["JOB", "CREATED", "STATE", "VERDICT", "FILE", "NOTE"], rows: rows)
    }

    private static func note(_ job: JobRecord) -> String {
        var parts: [String] = []
        if let code = job.errorCode { parts.append(code) }
        if let original = job.duplicateOf { parts.append("duplicate of \(original)") }
        if let retried = job.retryOf { parts.append("retry of \(retried)") }
        return parts.joined(separator: "; ")
    }
}
