import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// `vidpipe watch s3://bucket/prefix` against the real store, changed with curl: one request
/// per change, in the inbox; none for an unchanged listing, sidecars, hidden keys or a
/// sibling prefix; and none deleted while the store is unreachable (cut through a relay,
/// since other tests share the store).
@Suite(.enabled(if: S3TestServer.shouldRun, Comment(rawValue: S3TestServer.skipReason)))
struct ObjectWatcherTests {
    /// The inbox's requests, oldest first, as (event, path).
    func sent(_ lake: TestLake) throws -> [(event: String, path: String)] {
        try lake.requests(in: lake.inbox).sorted().map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: lake.inbox + "/" + name))
            let request = try IngestRequest.decode(data, origin: name)
            return (request.fileEvent.rawValue, request.path)
        }
    }

    @Test func eachChangeOfAnObjectSendsOneRequestAndAnOutageSendsNone() async throws {
        let store = try S3Oracle()
        let bucket = S3TestServer.uniqueBucket("watched")
        try store.createBucket(bucket)
        let endpoint = try #require(URL(string: store.variables["AWS_ENDPOINT_URL"] ?? ""))
        let relay = try TCPRelay(to: try #require(endpoint.port))
        var lake = try TestLake()
        defer { lake.remove() }
        lake.environment = store.variables.merging([
            "AWS_ENDPOINT_URL": "http://127.0.0.1:\(relay.port)", "VIDPIPE_LOG_LEVEL": "info",
        ]) { _, new in new }
        let clip = lake.scratch.path("clip.mp4"), other = lake.scratch.path("other.mp4")
        try Clip.good(clip)
        try Clip.good(other, seconds: 2)
        try store.put(clip, bucket: bucket, key: "in/old.mp4")
        let watched = "s3://\(bucket)/in/"

        let watcher = try DaemonProcess(lake, name: "watch", arguments: ["watch", "s3://\(bucket)/in", "--interval", "0.3"])
        try await waitUntil("the first listing", timeout: .seconds(30)) { try watcher.readLog().contains("watching an object store prefix") }
        try await Task.sleep(for: .seconds(1))  // the baseline listing: old.mp4 is not new
        try store.put(clip, bucket: bucket, key: "in/clip.mp4")
        try store.put(text: #"{"camera": "B"}"#, bucket: bucket, key: "in/clip.json")
        try store.put(clip, bucket: bucket, key: "in/.hidden.mp4")
        try store.put(clip, bucket: bucket, key: "inbox/clip.mp4")
        try await waitUntil("the created request", timeout: .seconds(30)) { try sent(lake).count >= 1 }

        try store.put(other, bucket: bucket, key: "in/clip.mp4")  // overwritten: a new ETag
        try await waitUntil("the modified request", timeout: .seconds(30)) { try sent(lake).count >= 2 }
        // Several listings of an unchanged prefix.
        try await Task.sleep(for: .seconds(1.5))
        let beforeOutage = try sent(lake)
        #expect(beforeOutage.map(\.event) == ["created", "modified"], "\(beforeOutage)")

        relay.cut()
        try await waitUntil("a failed listing (or a request from it)", timeout: .seconds(30)) {
            try watcher.readLog().contains("cannot list the prefix") || sent(lake).count > 2
        }
        try await Task.sleep(for: .seconds(1))
        let duringOutage = try sent(lake)
        #expect(duringOutage.count == 2, "no deleted request while the store is unreachable: \(duringOutage)")
        try store.delete(bucket: bucket, key: "in/clip.mp4")
        try relay.restore()
        try await waitUntil("the deleted request", timeout: .seconds(30)) { try sent(lake).count >= 3 }
        try await Task.sleep(for: .seconds(1))
        #expect(try await watcher.stop(within: 20) == 0)

        let requests = try sent(lake)
        #expect(requests.map(\.event) == ["created", "modified", "deleted"], "\(requests)")
        #expect(requests.allSatisfy { $0.path == watched + "clip.mp4" }, "\(requests)")
        #expect(try watcher.readLog().contains("answers again"))
    }
}
