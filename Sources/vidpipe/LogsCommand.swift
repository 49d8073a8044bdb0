import ArgumentParser
import Catalog
import Foundation
import Ingest

/// `vidpipe logs JOB`: a job's JSON-lines log, one readable line per event on a terminal,
/// the lines themselves when piped (for `jq`).
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a job's log: readable on a terminal, the raw JSON lines when piped or with --json."
    )

    @Argument(help: "A job id or request id.")
    var job: String

    @Flag(help: "Print the raw JSON lines even on a terminal.")
    var json = false

    func run() async throws {
        let inspection = try await CatalogInspection.open()
        defer { Task { await inspection.close() } }
        guard let path = try await logPath(inspection) else { throw inspection.notFound("job or request", job) }
        guard let data = FileManager.default.contents(atPath: path) else {
            FileHandle.standardError.write(Data("vidpipe: job \(job)'s log \(path) cannot be read (deleted, or the lake moved?)\n".utf8))
            throw ExitStatus.someRejected
        }
        guard !json, isatty(STDOUT_FILENO) == 1 else {
            FileHandle.standardOutput.write(data)
            return
        }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let entry = try? JSONDecoder.vidpipe.decode(JobLogEntry.self, from: Data(line.utf8)) else {
                print(line)  // a line cut short by a crash: shown as it is
                continue
            }
            print(Self.readable(entry))
        }
    }

    /// The catalog's record of the log; a job still running is not recorded yet, so its
    /// log is looked for under the lake's logs folder.
    private func logPath(_ inspection: CatalogInspection) async throws -> String? {
        if let recorded = try await inspection.job(job)?.logPath { return recorded }
        guard !job.contains("/") else { return nil }
        let logs = inspection.layout.logs
        let days = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
        return days.sorted().reversed().map { "\(logs)/\($0)/\(job).jsonl" }.first(where: FileManager.default.fileExists(atPath:))
    }

    /// `12:00:01.250  task.succeeded  bronze.probe #1  12.5 ms` and the error, if any.
    static func readable(_ entry: JobLogEntry) -> String {
        var parts = [entry.time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true).time(includingFractionalSeconds: true)),
                     entry.event.padding(toLength: 15, withPad: " ", startingAt: 0)]
        if let task = entry.task { parts.append(task + (entry.attempt.map { " #\($0)" } ?? "")) }
        if let duration = entry.durationMilliseconds { parts.append(String(format: "%.1f ms", duration)) }
        if let code = entry.errorCode { parts.append("\(code): \(entry.error ?? "")") } else if let error = entry.error { parts.append(error) }
        if let detail = entry.detail, !detail.isEmpty {
            parts.append(detail.sorted { $0.key < $1.key }.filter { !$0.value.isEmpty }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        return parts.joined(separator: "  ")
    }
}
