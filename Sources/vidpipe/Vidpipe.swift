import ArgumentParser
import Foundation

/// `vidpipe`: checks, describes, converts and records video files.
struct Vidpipe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vidpipe",
        abstract: "A video data pipeline: bronze (validate, checksum, probe, stage, dedup), silver (checks), gold (catalog, mail).",
        discussion: "Configuration comes from config/vidpipe.env, .env and the environment; see .env.example.",
        subcommands: [
            ProcessCommand.self, ProbeCommand.self, StatusCommand.self, JobsCommand.self, ShowCommand.self, RetryCommand.self,
            LogsCommand.self, RunCommand.self, ProduceCommand.self, WatchCommand.self,
            MigrateCommand.self, SimilarCommand.self, DagCommand.self, ConfigCommand.self, VersionCommand.self, WebhookCommand.self,
        ]
    )
}

/// Exit codes: 0 all accepted, 1 some rejected or failed, 2 usage or configuration error.
enum ExitStatus {
    static let someRejected = ExitCode(1)
    static let usage = ExitCode(2)
}

@main
enum Main {
    static func main() async {
        // Before the threads that would each claim an arena of their own start.
        AllocatorArenas.applyLimit()
        do {
            var command = try Vidpipe.parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Vidpipe.exitCode(for: error)
            let message = Vidpipe.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                exit(0)
            }
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            // ArgumentParser reports usage errors as 64; vidpipe documents 2.
            exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}
