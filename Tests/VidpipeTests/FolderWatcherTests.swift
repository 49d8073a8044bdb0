import Daemon
import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// The folder watcher's events: created once a file is stable, modified, deleted, sidecars,
/// and nothing for files still being written or present at start.
@Suite struct FolderWatcherTests {
    @Test func emitsCreatedModifiedAndDeletedOnlyForSettledFiles() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let old = scratch.path("old.mp4")
        try Data("old".utf8).write(to: URL(fileURLWithPath: old))
        var watcher = FolderWatcher(root: scratch.path, settle: .milliseconds(500), email: "a@example.com")
        let start = Date()
        #expect(watcher.poll(now: start).isEmpty, "the baseline emits nothing")

        try FileManager.default.createDirectory(atPath: scratch.path("sub"), withIntermediateDirectories: true)
        let clip = scratch.path("sub/clip.MOV")
        try Data("part".utf8).write(to: URL(fileURLWithPath: clip))
        try Data(#"{"camera": "A"}"#.utf8).write(to: URL(fileURLWithPath: scratch.path("sub/clip.json")))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: scratch.path("notes.txt")))
        #expect(watcher.poll(now: Date().addingTimeInterval(1)).isEmpty, "first sight: not yet stable")
        #expect(watcher.poll(now: Date()).isEmpty, "stable but younger than the settle time")
        let created = watcher.poll(now: Date().addingTimeInterval(1))
        #expect(created.map(\.path) == [clip])
        #expect(created.first?.fileEvent == .created)
        #expect(created.first?.metadata == .object(["camera": .string("A")]))
        #expect(created.first?.email == "a@example.com")
        #expect(watcher.poll(now: Date().addingTimeInterval(2)).isEmpty, "emitted once")

        try Data("grown".utf8).write(to: URL(fileURLWithPath: clip))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-10)], ofItemAtPath: clip)
        #expect(watcher.poll(now: Date().addingTimeInterval(3)).isEmpty, "changed: wait for it to hold still")
        let modified = watcher.poll(now: Date().addingTimeInterval(4))
        #expect(modified.map(\.fileEvent) == [.modified])
        #expect(modified.first?.requestID != created.first?.requestID)

        try FileManager.default.removeItem(atPath: clip)
        try FileManager.default.removeItem(atPath: old)
        let deleted = watcher.poll(now: Date().addingTimeInterval(5))
        #expect(Set(deleted.map(\.path)) == [clip, old])
        #expect(deleted.allSatisfy { $0.fileEvent == .deleted && $0.metadata == nil })
    }

    @Test func requestsWithoutAnEventAreCreatedAndTheEventRoundTrips() throws {
        let plain = #"{"schema_version": 1, "request_id": "r", "path": "/a.mp4", "submitted_at": "2026-01-01T00:00:00Z"}"#
        #expect(try IngestRequest.decode(Data(plain.utf8), origin: "test").fileEvent == .created)
        let request = IngestRequest(path: "/a.mp4", event: .deleted)
        let decoded = try IngestRequest.decode(try JSONEncoder.vidpipeCompact.encode(request), origin: "test")
        #expect(decoded.fileEvent == .deleted)
        let bad = #"{"schema_version": 1, "request_id": "r", "path": "/a.mp4", "submitted_at": "2026-01-01T00:00:00Z", "event": "renamed"}"#
        #expect(throws: IngestError.self) { try IngestRequest.decode(Data(bad.utf8), origin: "test") }
    }
}
