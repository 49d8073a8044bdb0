import ArgumentParser
import Foundation
import Ingest
import Media

/// `vidpipe similar ID|FILE`: the catalog videos nearest to a video's fingerprint.
struct SimilarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "List the catalog videos most like a catalog video (by id) or a file (re-encodes, resizes, trims).",
        discussion: "Distance 0 is identical, about 0.5 unrelated; matches are at or below \(VideoFingerprint.matchThreshold)."
    )

    @Argument(help: "A video id from the catalog, or a media file.")
    var target: String

    @Option(help: "How many to list.")
    var limit = 10

    @Flag(help: "Print JSON.")
    var json = false

    func run() async throws {
        let bootstrap = try Bootstrap(consoleLevel: .warning)
        let catalog = try await bootstrap.openCatalog()
        defer { Task { try? await catalog.close() } }

        let query: VideoFingerprint
        var excluded: String?
        if let stored = try await SimilarVideos.fingerprint(ofVideo: target, in: catalog) {
            query = stored
            excluded = target
        } else if FileManager.default.fileExists(atPath: target) {
            do {
                guard let computed = try await Enrichment.fingerprint(path: target) else {
                    FileHandle.standardError.write(Data("vidpipe: \(target) has no video stream to fingerprint\n".utf8))
                    throw ExitStatus.someRejected
                }
                query = computed
            } catch let error as MediaError {
                FileHandle.standardError.write(Data("vidpipe: \(error)\n".utf8))
                throw ExitStatus.someRejected
            }
        } else {
            FileHandle.standardError.write(Data("vidpipe: \"\(target)\" is neither a video id with a fingerprint in \(bootstrap.configuration.layout.catalog) nor a file\n".utf8))
            throw ExitStatus.usage
        }
        let nearest = try await SimilarVideos.nearest(to: query, in: catalog, excluding: excluded, limit: limit)
        if json {
            print(String(decoding: try JSONEncoder.vidpipe.encode(nearest), as: UTF8.self))
            return
        }
        print(TextTable.render(header: ["DISTANCE", "MATCH", "VIDEO", "FILE"], rows: nearest.map {
            [String(format: "%.3f", $0.distance), $0.isMatch ? "yes" : "no", $0.videoID, $0.sourcePath]
        }))
    }
}
