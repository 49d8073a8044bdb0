import ArgumentParser
import Foundation
import Ingest

/// `vidpipe produce FILE...`: submits validated requests: to the Kafka requests topic in
/// service mode (idempotent producer, key = request id), else to the inbox folder.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Submit ingest requests for the daemon: to Kafka when KAFKA_BOOTSTRAP_SERVERS is set, else into the inbox folder.",
        discussion: "Prints where each request went (topic[partition]@offset, or the inbox file). Exit status 1 when some file was refused."
    )

    @Argument(help: "Video files or s3://bucket/key objects; they must lie inside VIDPIPE_ALLOWED_ROOTS.")
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
        let validator = FileValidator(allowedRoots: bootstrap.configuration.ingest.allowedRoots, maxFileBytes: bootstrap.configuration.ingest.maxFileBytes)
        let sink = try RequestSink.make(bootstrap)
        var refused = 0
        for file in files {
            let isObject = file.hasPrefix("s3://")
            let absolute = isObject ? file
                : URL(fileURLWithPath: file, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/")).standardizedFileURL.path
            do {
                // The daemon checks again; checking here tells the sender at once. An object
                // is only confined here: the daemon is the one that needs to reach the store.
                if isObject {
                    _ = try validator.confine(objectURI: absolute)
                } else {
                    _ = try validator.validate(path: absolute, confined: true)
                }
                let request = IngestRequest(path: absolute, email: email, title: title, metadata: metadata)
                try request.validate(origin: "command line")
                let destination = try await sink.submit(request)
                print("queued \(absolute) as request \(request.requestID) (\(destination))")
            } catch {
                refused += 1
                FileHandle.standardError.write(Data("vidpipe: not queued: \(error)\n".utf8))
            }
        }
        await sink.close()
        if refused > 0 { throw ExitStatus.someRejected }
    }
}
