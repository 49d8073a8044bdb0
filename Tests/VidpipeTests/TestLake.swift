import Foundation
import Ingest
import VidpipeTestSupport

/// A data lake in a scratch directory, with an `incoming` folder as its only allowed root,
/// and the built `vidpipe` binary pointed at it.
struct TestLake {
    let scratch: ScratchDirectory
    var root: String { scratch.path("lake") }
    /// The allowed root; test inputs go here.
    var incoming: String { scratch.path("incoming") }
    var catalog: String { root + "/catalog.sqlite" }
    var inbox: String { root + "/inbox" }
    var outbox: String { root + "/outbox" }
    /// Extra variables for every `vidpipe` run of this lake.
    var environment: [String: String] = [:]

    init(environment: [String: String] = [:]) throws {
        scratch = try ScratchDirectory(prefix: "vidpipe-pipeline-tests")
        try FileManager.default.createDirectory(atPath: scratch.path("incoming"), withIntermediateDirectories: true)
        self.environment = environment
    }

    /// The process environment with vidpipe's own variables replaced by this lake's, so the
    /// developer's shell settings cannot leak into a test.
    var processEnvironment: [String: String] {
        var variables = ProcessInfo.processInfo.environment.filter { key, _ in
            !(key.hasPrefix("VIDPIPE_") || key.hasPrefix("EMAIL_") || key.hasPrefix("SMTP_") || key == "PG_CONN_URI")
        }
        variables["VIDPIPE_DATALAKE"] = root
        variables["VIDPIPE_ALLOWED_ROOTS"] = incoming
        variables["VIDPIPE_LOG_LEVEL"] = "warning"
        // Daemons of parallel tests must not fight over the default port.
        variables["VIDPIPE_HTTP_PORT"] = "0"
        variables.merge(environment) { _, new in new }
        return variables
    }

    /// Runs `vidpipe ARGUMENTS` against this lake, from the scratch folder (no config file there).
    @discardableResult
    func vidpipe(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ToolResult {
        try CommandLineTool.run(try VidpipeBinary.path(), arguments, environment: processEnvironment.merging(extra) { _, new in new }, in: scratch.url)
    }

    /// `vidpipe process --json FILES`, decoded.
    func process(_ files: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, report: ProcessReport) {
        let result = try vidpipe(["process", "--json"] + files, environment: extra)
        do {
            return (result.status, try JSONDecoder.snakeCase.decode(ProcessReport.self, from: result.stdout))
        } catch {
            throw ToolFailure(command: ["vidpipe", "process", "--json"] + files, status: result.status,
                              stderr: "no JSON report: \(result.text) \(result.stderr)")
        }
    }

    /// The oracle for the catalog: rows from the `sqlite3` CLI, as JSON objects.
    func query(_ sql: String) throws -> [[String: JSONValue]] {
        let json = try SQLite3Oracle.json(catalog, sql)
        guard !json.isEmpty else { return [] }
        return try JSONDecoder().decode([[String: JSONValue]].self, from: json)
    }

    /// ``query(_:)`` for polling a catalog another process creates: no rows while the catalog
    /// file does not exist or is not fully migrated yet; any other failure throws.
    func catalogRows(_ sql: String) throws -> [[String: JSONValue]] {
        guard FileManager.default.fileExists(atPath: catalog) else { return [] }
        // Readiness first: a query that fails after this is a real failure, not a race with
        // a migration that was still running.
        let applied: [String]
        do {
            applied = try SQLite3Oracle.query(catalog, "SELECT count(*) FROM schema_migrations")
        } catch let error as TestEnvironmentError where error.description.contains("no such table: schema_migrations") {
            return []
        }
        return applied == CatalogFixtures.migratedCount ? try query(sql) : []
    }

    /// Every job log under `logs/<day>/`, with the request id its `job.started` line names.
    func jobLogs() throws -> [(request: String, entries: [[String: JSONValue]])] {
        let logs = root + "/logs"
        guard FileManager.default.fileExists(atPath: logs) else { return [] }
        var found: [(request: String, entries: [[String: JSONValue]])] = []
        for day in try FileManager.default.contentsOfDirectory(atPath: logs) where !day.hasPrefix("vidpipe.log") {
            for file in try FileManager.default.contentsOfDirectory(atPath: logs + "/" + day) where file.hasSuffix(".jsonl") {
                let entries = try logEntries(logs + "/" + day + "/" + file)
                let started = entries.first { $0["event"]?.text == "job.started" }
                found.append((started?["detail"]?.object?["request_id"]?.text ?? "", entries))
            }
        }
        return found
    }

    /// How many jobs each request started, from the job logs: a request run again shows
    /// here even when the catalog refused to record it twice.
    func jobsStarted() throws -> [String: Int] {
        try jobLogs().reduce(into: [:]) { counts, log in counts[log.request, default: 0] += 1 }
    }

    /// How many times each request's jobs started `task`, from the job logs; requests that
    /// never started it are absent.
    func taskStarts(_ task: String) throws -> [String: Int] {
        try jobLogs().reduce(into: [:]) { counts, log in
            let runs = log.entries.filter { $0["event"]?.text == "task.running" && $0["task"]?.text == task }.count
            if runs > 0 { counts[log.request, default: 0] += runs }
        }
    }

    /// The job log's lines, read as plain JSON (not through `JobLog`).
    func logEntries(_ path: String) throws -> [[String: JSONValue]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) }
    }

    /// Request files (`*.json`, not hidden) in an inbox folder; none when the folder does not
    /// exist (yet). A folder that exists but cannot be read throws.
    func requests(in folder: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
    }

    /// A good clip outside the allowed roots, and a symlink inside them that leads to it.
    func escapingFiles() throws -> (outside: String, link: String) {
        let outside = scratch.path("outside.mp4")
        try Clip.good(outside)
        let link = incoming + "/link.mp4"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: outside)
        return (outside, link)
    }

    func remove() { scratch.remove() }
}

/// The `process --json` report, decoded independently of the CLI's own types.
struct ProcessReport: Decodable {
    struct Job: Decodable {
        var jobId: String
        var requestId: String?
        var state: String
        var verdict: String?
        var errorCode: String?
        var message: String?
        var videoId: String?
        var duplicateOf: String?
        var sha256: String?
        var hlsMasterPath: String?
        var logPath: String
        var recorded: Bool
    }

    var accepted: Int
    var rejected: Int
    var jobs: [Job]
}

extension JSONDecoder {
    /// For the snake_case JSON of vidpipe's reports.
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

extension JSONValue {
    /// The text of a string value.
    var text: String? { if case .string(let value) = self { value } else { nil } }
    /// The value of a number.
    var number: Double? { if case .number(let value) = self { value } else { nil } }
}

extension KafkaOracle.Record {
    /// The value as a JSON object (vidpipe's events and dead letters).
    var json: [String: JSONValue] { (try? JSONDecoder().decode([String: JSONValue].self, from: Data(value.utf8))) ?? [:] }
}
