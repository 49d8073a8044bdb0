import ArgumentParser
import Foundation
import Pipeline

/// `vidpipe produce FILE...`: submits validated requests; in embedded mode to the inbox.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Submit ingest requests for the daemon (embedded mode: into the inbox folder)."
    )

    @Argument(help: "Video files; they must lie inside VIDPIPE_ALLOWED_ROOTS.")
    var files: [String]

    @Option(help: "Who to tell about these files.")
    var email: String?

    @Option(help: "A title for the video(s).")
    var title: String?

    @Option(help: "Metadata as a JSON object, stored with the video like a sidecar.")
    var meta: String?

    func run() async throws {
        let bootstrap = try Bootstrap(consoleLevel: .warning)
        var metadata: JSONValue?
        if let meta {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(meta.utf8)), case .object = value else {
                throw ValidationError("--meta must be a JSON object, e.g. '{\"camera\": \"A\"}'")
            }
            metadata = value
        }
        let validator = FileValidator(allowedRoots: bootstrap.configuration.allowedRoots, maxFileBytes: bootstrap.configuration.maxFileBytes)
        let inbox = Inbox(layout: bootstrap.configuration.layout)
        var refused = 0
        for file in files {
            let absolute = URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).standardizedFileURL.path
            do {
                // The daemon checks again; checking here tells the sender at once.
                _ = try validator.validate(path: absolute, confined: true)
                let request = IngestRequest(path: absolute, email: email, title: title, metadata: metadata)
                try request.validate(origin: "command line")
                let written = try inbox.submit(request)
                print("queued \(absolute) as request \(request.requestID) (\(written))")
            } catch {
                refused += 1
                FileHandle.standardError.write(Data("vidpipe: not queued: \(error)\n".utf8))
            }
        }
        if refused > 0 { throw ExitStatus.someRejected }
    }
}
