import ArgumentParser
import Foundation
import Ingest
import Kafka
import Media
import Notifications
import VidpipeConfiguration

/// `vidpipe config`: the effective configuration, secrets redacted.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Print the effective configuration (secrets redacted).")

    func run() throws {
        do {
            print(try VidpipeConfiguration.load(environment: ProcessInfo.processInfo.environment))
        } catch {
            FileHandle.standardError.write(Data("vidpipe: \(error)\n".utf8))
            throw ExitStatus.usage
        }
    }
}

/// `vidpipe version`: this build and the C libraries it runs on.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the versions of vidpipe and its C libraries.")

    func run() throws {
        var lines = ["vidpipe 0.1.0"]
        for (library, version) in FFmpegLibraries.versions.sorted(by: { $0.key < $1.key }) { lines.append("\(library) \(version)") }
        lines.append("librdkafka \(KafkaLibrary.version)")
        lines.append("libcurl \(MailLibrary.curlVersion)")
        print(lines.joined(separator: "\n"))
    }
}
