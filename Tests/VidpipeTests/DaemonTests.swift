import Foundation
import Ingest
import Synchronization
import Testing
import VidpipeTestSupport

/// `vidpipe run` working the inbox: good requests, unusable request files, confinement, and SIGTERM.
@Suite struct DaemonTests {
    /// Daemons here poll the inbox often, so the tests wait less.
    private static let fastInbox = ["VIDPIPE_INBOX_POLL_SECONDS": "0.2"]

    @Test func daemonWorksTheInboxAndStopsOnSigterm() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake, environment: Self.fastInbox)
        let clips = [lake.incoming + "/one.mp4", lake.incoming + "/two.mp4"]
        try Clip.good(clips[0])
        try Clip.good(clips[1], seconds: 2)  // different content: two videos, not a duplicate
        let produced = try lake.vidpipe(["produce", "--title", "Test"] + clips)
        #expect(produced.status == 0, "\(produced.stderr)")

        // Unusable request files: not JSON, and a schema from the future.
        try Data("this is not json".utf8).write(to: URL(fileURLWithPath: lake.inbox + "/garbage.json"))
        let future = #"{"schema_version": 99, "request_id": "r-99", "path": "\#(clips[0])", "submitted_at": "2025-01-01T00:00:00Z"}"#
        try Data(future.utf8).write(to: URL(fileURLWithPath: lake.inbox + "/future.json"))

        let done = lake.inbox + "/done"
        let rejected = lake.inbox + "/rejected"
        let settled = try await eventually(within: 30) {
            try lake.requests(in: done).count == 2 && lake.requests(in: rejected).count == 2
        }
        #expect(settled, "inbox: \((try? FileManager.default.contentsOfDirectory(atPath: lake.inbox)) ?? [])")
        let jobs = try lake.query("SELECT state, origin FROM jobs")
        #expect(jobs.count == 2)
        #expect(jobs.allSatisfy { $0["state"]?.text == "succeeded" && $0["origin"]?.text == "inbox" })
        #expect(try lake.query("SELECT id FROM videos").count == 2)

        let garbageNote = try String(contentsOfFile: rejected + "/garbage.json.error.txt", encoding: .utf8)
        #expect(garbageNote.contains("not valid JSON") && garbageNote.contains("invalid_request"))
        let futureNote = try String(contentsOfFile: rejected + "/future.json.error.txt", encoding: .utf8)
        #expect(futureNote.contains("schema_version 99"))
        #expect(FileManager.default.fileExists(atPath: rejected + "/future.json"))

        let status = try await daemon.stop(within: 10)
        #expect(status == 0)
    }

    /// Daemons started together on a fresh lake open one new SQLite catalog at once; the
    /// switch to WAL must wait for the other process, not fail with "database is locked".
    @Test func processesOpeningAFreshCatalogTogetherAllStart() throws {
        for _ in 0..<5 {
            let lake = try TestLake()
            defer { lake.remove() }
            let results = Mutex([Int32](repeating: -1, count: 4))
            DispatchQueue.concurrentPerform(iterations: 4) { index in
                let status = (try? lake.vidpipe(["migrate"]))?.status ?? -2
                results.withLock { $0[index] = status }
            }
            #expect(results.withLock { $0 } == [0, 0, 0, 0])
            // Each migration applied once, none missing.
            let versions = try lake.query("SELECT version FROM schema_migrations ORDER BY version").compactMap { $0["version"]?.number }
            #expect(!versions.isEmpty && versions == (1...versions.count).map(Double.init))
        }
    }

    @Test func daemonStopsOnSigintWhenIdle() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake, environment: Self.fastInbox)
        // Once the inbox folder exists the daemon is up and polling.
        #expect(try await eventually(within: 10) { FileManager.default.fileExists(atPath: lake.inbox) })
        #expect(try await daemon.stop(with: SIGINT, within: 10) == 0)
    }

    @Test func handWrittenRequestsOutsideTheRootsAreRecordedAsRejected() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let (outside, link) = try lake.escapingFiles()
        try FileManager.default.createDirectory(atPath: lake.inbox, withIntermediateDirectories: true)
        let cases = [("outside", outside, "outside_allowed_roots"), ("symlink", link, "symlink_escape"),
                     ("traversal", lake.incoming + "/../outside.mp4", "path_traversal")]
        for (requestID, path, _) in cases {
            let request = #"{"schema_version": 1, "request_id": "\#(requestID)", "path": "\#(path)", "submitted_at": "2025-01-01T00:00:00Z"}"#
            try Data(request.utf8).write(to: URL(fileURLWithPath: "\(lake.inbox)/\(requestID).json"))
        }
        let daemon = try DaemonProcess(lake, environment: Self.fastInbox)
        let recorded = try await eventually(within: 30) {
            // The catalog may not exist yet: that is "not yet"; a failing query throws.
            try lake.catalogRows("SELECT id FROM jobs").count == cases.count && lake.requests(in: lake.inbox).isEmpty
        }
        #expect(recorded)
        for (requestID, _, code) in cases {
            let row = try lake.query("SELECT state, error_code FROM jobs WHERE request_id = '\(requestID)'").first
            #expect(row?["state"]?.text == "rejected", "\(requestID)")
            #expect(row?["error_code"]?.text == code, "\(requestID)")
        }
        // Nothing from outside the roots reached the bronze layer.
        #expect(try lake.query("SELECT id FROM videos").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: lake.root + "/bronze/sha256"))
        #expect(try await daemon.stop(within: 10) == 0)
    }
}
