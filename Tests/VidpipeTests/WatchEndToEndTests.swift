import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// `vidpipe watch DIR` in Kafka mode, read back from the requests topic: which files become
/// requests (the README's extension list, hidden entries skipped, sidecars attached), and
/// the `created`, `modified` and `deleted` events, each sent once.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && SMTPTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA or VIDPIPE_TEST_SMTP is not set (scripts/services/kafka start, scripts/services/smtp start)"))
struct WatchEndToEndTests {
    /// The extensions the README says the watcher reacts to.
    static let videoExtensions = ["mp4", "m4v", "mov", "mkv", "avi", "webm", "mxf", "ts", "mts", "m2ts", "mpg", "mpeg",
                                  "wmv", "flv", "3gp", "ogv"]

    /// One event as the requests topic holds it: what happened to which file (relative to the watched folder).
    struct Event: Hashable, CustomStringConvertible {
        var event: String
        var file: String
        var description: String { "\(event) \(file)" }
    }

    @Test func watcherSendsEachVideoEventOnceAndSkipsTheRest() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let watched = service.lake.incoming + "/watched"
        try FileManager.default.createDirectory(atPath: watched + "/sub", withIntermediateDirectories: true)
        try Self.write("present before the start", to: watched + "/before.mp4")
        // --existing: files there at the first scan are sent too, so nothing below depends on
        // whether it was written before or after that scan.
        let watcher = try DaemonProcess(service, name: "watch", arguments: ["watch", watched, "--existing", "--interval", "0.2", "--settle", "0.2"])

        // One file per listed extension (one in upper case, one in a subfolder), and what must be left alone.
        var videos = ["before.mp4"] + Self.videoExtensions.map { "clip.\($0)" }
        videos[videos.firstIndex(of: "clip.mkv")!] = "CLIP.MKV"
        videos[videos.firstIndex(of: "clip.mov")!] = "sub/clip.mov"
        let ignored = ["notes.txt", "song.mp3", "still.jpg", "clip.mp4.part", ".hidden.mp4", ".cache/inside.mp4", "sub/.partial.mov"]
        try FileManager.default.createDirectory(atPath: watched + "/.cache", withIntermediateDirectories: true)
        for name in videos + ignored { try Self.write("bytes of \(name)", to: watched + "/" + name) }
        try Self.write(#"{"camera": "B"}"#, to: watched + "/clip.json")

        let created = try await events(in: service, root: watched, count: videos.count)
        #expect(Set(created) == Set(videos.map { Event(event: "created", file: $0) }), "\(created)")
        #expect(created.count == videos.count, "each sent once: \(created)")
        let mp4 = try service.oracle.readAll(service.requests).first { $0.json["path"]?.text == watched + "/clip.mp4" }
        #expect(mp4?.json["metadata"] == .object(["camera": .string("B")]), "the sidecar rides along")

        // A file written again (new size and mtime) and one removed.
        try Self.write("bytes of clip.mp4, longer now", to: watched + "/clip.mp4")
        try FileManager.default.removeItem(atPath: watched + "/clip.webm")
        let all = try await events(in: service, root: watched, count: videos.count + 2)
        #expect(Array(all.dropFirst(videos.count)).sorted { $0.file < $1.file }
                == [Event(event: "modified", file: "clip.mp4"), Event(event: "deleted", file: "clip.webm")], "\(all)")
        #expect(try await watcher.stop(within: 10) == 0, "\(watcher.log)")
        // Nothing more came after: read the topic whole once more, after the stop.
        #expect(try Self.decode(try service.oracle.readAll(service.requests), root: watched).count == videos.count + 2)
        // The requests are valid for the daemon: the same schema the producer writes.
        for record in try service.oracle.readAll(service.requests) {
            #expect(throws: Never.self) { try IngestRequest.decode(Data(record.value.utf8), origin: "test") }
        }
    }

    /// The topic's events once it holds at least `count` (all of them, duplicates included).
    private func events(in service: ServiceLake, root: String, count: Int) async throws -> [Event] {
        try Self.decode(try await service.oracle.waitForMessages(service.requests, count: count, within: 30), root: root)
    }

    private static func decode(_ records: [KafkaOracle.Record], root: String) -> [Event] {
        records.map { record in
            Event(event: record.json["event"]?.text ?? "created",  // optional in schema 1, default created
                  file: (record.json["path"]?.text ?? "?").replacingOccurrences(of: root + "/", with: ""))
        }
    }

    private static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
