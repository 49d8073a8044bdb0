import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Requests naming `s3://bucket/key` sources, against the real store (SeaweedFS): fetched
/// into the job's scratch folder with their SHA-256, confined to the `s3://` allowed roots,
/// and the scratch folder emptied whatever happens to the job. Oracles: curl (its own
/// SigV4), sha256sum, ffprobe, sqlite3.
@Suite(.enabled(if: S3TestServer.shouldRun, Comment(rawValue: S3TestServer.skipReason)))
struct ObjectSourceTests {
    let store: S3Oracle
    /// One bucket for the suite: the store gives every bucket volumes of its own.
    static let sharedBucket = S3TestServer.uniqueBucket("sources")
    var bucket: String { Self.sharedBucket }

    init() throws {
        store = try S3Oracle()
        // Made by the first test; the others find it there (curl fails on the 409).
        try? store.createBucket(bucket)
    }

    /// A lake whose only allowed root is `s3://<bucket>/in`, with its scratch folder in the lake's scratch.
    func makeLake(_ extra: [String: String] = [:]) throws -> TestLake {
        var lake = try TestLake()
        lake.environment = store.variables.merging([
            "VIDPIPE_ALLOWED_ROOTS": "s3://\(bucket)/in", "VIDPIPE_SCRATCH": lake.scratch.path("scratch"),
        ]) { _, new in new }.merging(extra) { _, new in new }
        return lake
    }

    func uri(_ key: String, bucket: String? = nil) -> String { "s3://\(bucket ?? self.bucket)/\(key)" }

    /// What is in the scratch folder: job folders and their lock files.
    func scratchEntries(_ lake: TestLake) throws -> [String] {
        let folder = lake.environment["VIDPIPE_SCRATCH"]!
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    @Test func processingAnObjectRecordsTheHashAndFactsOfItsBytesAndItsSidecar() throws {
        let lake = try makeLake()
        defer { lake.remove() }
        let clip = lake.scratch.path("clip.mp4")
        try Clip.good(clip, seconds: 2)
        try store.put(clip, bucket: bucket, key: "in/clip.mp4")
        try store.put(text: #"{"camera": "A7"}"#, bucket: bucket, key: "in/clip.json")
        let noise = lake.scratch.path("noise.mp4")
        try Clip.noise(noise, count: 50_000)
        try store.put(noise, bucket: bucket, key: "in/noise.mp4")

        let (status, report) = try lake.process([uri("in/clip.mp4"), uri("in/noise.mp4")])
        #expect(status == 1, "the noise object is rejected")
        let good = try #require(report.jobs.first)
        #expect(good.state == "succeeded", "\(good)")
        #expect(report.jobs.last?.errorCode == "unrecognized_format", "\(report.jobs.last.map { "\($0)" } ?? "")")

        // Oracle: the object as curl fetches it, hashed by sha256sum and probed by ffprobe.
        let fetched = lake.scratch.path("fetched.mp4")
        try store.get(bucket: bucket, key: "in/clip.mp4", to: fetched)
        let sha256 = try CommandLineTool.sha256sum(fetched)
        #expect(good.sha256 == sha256)
        let videos = try lake.query("SELECT content_sha256, original_name, source_path, width, height, duration_seconds, sidecar_json FROM videos")
        #expect(videos.count == 1)
        let video = try #require(videos.first)
        #expect(video["content_sha256"]?.text == sha256)
        #expect(video["original_name"]?.text == "clip.mp4")
        #expect(video["source_path"]?.text == uri("in/clip.mp4"))
        let probe = try CommandLineTool.ffprobe(fetched)
        let stream = try #require(probe.streams?.first { $0.codecType == "video" })
        #expect(video["width"]?.number == stream.width.map(Double.init))
        #expect(video["height"]?.number == stream.height.map(Double.init))
        let duration = try #require(probe.format.duration.flatMap(Double.init))
        #expect(abs((video["duration_seconds"]?.number ?? 0) - duration) < 0.01)
        #expect(video["sidecar_json"]?.text?.contains(#""camera":"A7""#) == true, "\(video)")
        let jobs = try lake.query("SELECT source_path FROM jobs ORDER BY source_path")
        #expect(jobs.map { $0["source_path"]?.text } == [uri("in/clip.mp4"), uri("in/noise.mp4")])
        // Both jobs' downloads are gone: the accepted one and the rejected one.
        #expect(try scratchEntries(lake) == [])
    }

    /// Failures found before any download: the scratch folder is made unusable (a path
    /// under a regular file), so a job that downloaded first would fail with `io_error`.
    enum EarlyFailure: String, CaseIterable, CustomTestStringConvertible {
        case missingObject, missingBucket, overMaxFileBytes, overScratchBound
        var testDescription: String { rawValue }

        var variables: [String: String] {
            switch self {
            case .overMaxFileBytes: ["VIDPIPE_MAX_FILE_BYTES": "1000"]
            case .overScratchBound: ["VIDPIPE_SCRATCH_MAX_BYTES": "1000"]
            default: [:]
            }
        }

        var expected: (code: String, says: String) {
            switch self {
            case .missingObject: ("file_not_found", "no such object")
            case .missingBucket: ("file_not_found", "no such object")
            case .overMaxFileBytes: ("file_too_large", "VIDPIPE_MAX_FILE_BYTES")
            case .overScratchBound: ("file_too_large", "VIDPIPE_SCRATCH_MAX_BYTES")
            }
        }
    }

    @Test(arguments: EarlyFailure.allCases)
    func failuresFoundByLookingAreClearAndDownloadNothing(_ failure: EarlyFailure) throws {
        var lake = try makeLake(failure.variables)
        defer { lake.remove() }
        let blocker = lake.scratch.path("a-file")
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: blocker))
        lake.environment["VIDPIPE_SCRATCH"] = blocker + "/scratch"
        let clip = lake.scratch.path("clip.mp4")
        try Clip.good(clip)
        try store.put(clip, bucket: bucket, key: "in/clip.mp4")
        let source = switch failure {
        case .missingObject: uri("in/nothing.mp4")
        case .missingBucket: uri("in/clip.mp4", bucket: S3TestServer.uniqueBucket("absent"))
        default: uri("in/clip.mp4")
        }

        let (status, report) = try lake.process([source])
        #expect(status == 1)
        let job = try #require(report.jobs.first)
        #expect(job.errorCode == failure.expected.code, "\(job)")
        #expect(job.message?.contains(source) == true, "\(job)")
        #expect(job.message?.contains(failure.expected.says) == true, "\(job)")
        #expect(try lake.query("SELECT id FROM videos").isEmpty)
    }

    @Test func withoutCredentialsTheCommandSaysWhichVariablesToSet() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let result = try lake.vidpipe(["process", uri("in/clip.mp4")],
                                      environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "VIDPIPE_SCRATCH": lake.scratch.path("scratch")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("AWS_ACCESS_KEY_ID") && result.stderr.contains("AWS_SECRET_ACCESS_KEY"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: lake.catalog))
    }

    /// Inbox requests: only the object inside `s3://<bucket>/in` is fetched and recorded as a
    /// video; another bucket, a sibling prefix sharing the root's first letters, a `..` climb
    /// and a local path are refused, each with its code.
    @Test func inboxRequestsAreConfinedToTheObjectRoots() async throws {
        let lake = try makeLake()
        defer { lake.remove() }
        let other = S3TestServer.uniqueBucket("other")
        try store.createBucket(other)
        let clip = lake.scratch.path("clip.mp4")
        try Clip.good(clip)
        for (bucket, key) in [(bucket, "in/clip.mp4"), (other, "in/clip.mp4"), (bucket, "inbox/clip.mp4"), (bucket, "secret/clip.mp4")] {
            try store.put(clip, bucket: bucket, key: key)
        }
        try FileManager.default.copyItem(atPath: clip, toPath: lake.incoming + "/clip.mp4")
        let requests = [
            "inside": uri("in/clip.mp4"), "other-bucket": uri("in/clip.mp4", bucket: other), "sibling-prefix": uri("inbox/clip.mp4"),
            "dot-dot": uri("in/../secret/clip.mp4"), "local-path": lake.incoming + "/clip.mp4",
        ]
        try FileManager.default.createDirectory(atPath: lake.inbox, withIntermediateDirectories: true)
        for (name, path) in requests {
            let request = IngestRequest(path: path, requestID: name)
            try JSONEncoder.vidpipe.encode(request).write(to: URL(fileURLWithPath: "\(lake.inbox)/\(name).json"))
        }

        let daemon = try DaemonProcess(lake)
        try await waitUntil("4 jobs recorded and 1 request filed as rejected", timeout: .seconds(90)) {
            // The daemon may hold the catalog's write lock at the moment the oracle reads.
            let rejected = try lake.requests(in: lake.inbox + "/rejected").count
            return (try? lake.catalogRows("SELECT id FROM jobs"))?.count == 4 && rejected == 1
        }
        #expect(try await daemon.stop(within: 30) == 0)

        let jobs = try lake.query("SELECT request_id, state, error_code, error_message FROM jobs ORDER BY request_id")
        let byRequest = Dictionary(uniqueKeysWithValues: jobs.map { ($0["request_id"]?.text ?? "", $0) })
        #expect(byRequest["inside"]?["state"]?.text == "succeeded", "\(jobs)")
        for name in ["other-bucket", "sibling-prefix", "local-path"] {
            #expect(byRequest[name]?["error_code"]?.text == "outside_allowed_roots", "\(name): \(jobs)")
            #expect(byRequest[name]?["error_message"]?.text?.contains("s3://\(bucket)/in") == true, "\(name): \(jobs)")
        }
        let note = try String(contentsOfFile: lake.inbox + "/rejected/dot-dot.json.error.txt", encoding: .utf8)
        #expect(note.contains("[path_traversal]") && note.contains(".."), "\(note)")
        let videos = try lake.query("SELECT source_path FROM videos")
        #expect(videos.map { $0["source_path"]?.text } == [uri("in/clip.mp4")])
        #expect(try scratchEntries(lake) == [])
    }

    /// A daemon killed mid-job leaves its job's scratch folder; the next start removes it,
    /// but not the folder of a live job of another process sharing the scratch folder.
    @Test func aRestartRemovesWhatAKilledDaemonLeftButNotALiveJobsFolder() async throws {
        let lake = try makeLake()
        defer { lake.remove() }
        let clip = lake.scratch.path("long.mp4")
        try Clip.make("good", clip, seconds: 30, size: "640x360")
        try store.put(clip, bucket: bucket, key: "in/long.mp4")
        try FileManager.default.createDirectory(atPath: lake.inbox, withIntermediateDirectories: true)
        try JSONEncoder.vidpipe.encode(IngestRequest(path: uri("in/long.mp4"), requestID: "long"))
            .write(to: URL(fileURLWithPath: lake.inbox + "/long.json"))
        let scratch = lake.environment["VIDPIPE_SCRATCH"]!

        let first = try DaemonProcess(lake, name: "killed")
        try await waitUntil("the job's download in the scratch folder", timeout: .seconds(60)) {
            try scratchEntries(lake).contains { FileManager.default.fileExists(atPath: "\(scratch)/\($0)/long.mp4") }
        }
        #expect(try await first.stop(with: SIGKILL, within: 10) != nil)
        let left = try scratchEntries(lake)
        #expect(left.count == 2, "a job folder and its lock: \(left)")

        // Another process's live job: its folder, and the lock it holds.
        let live = UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: "\(scratch)/\(live)", withIntermediateDirectories: true)
        let lock = open("\(scratch)/\(live).lock", O_CREAT | O_RDWR, 0o644)
        #expect(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        defer { close(lock) }

        let second = try DaemonProcess(lake, name: "restarted")
        try await waitUntil("the request redone", timeout: .seconds(120)) {
            (try? lake.catalogRows("SELECT state FROM jobs WHERE request_id = 'long'"))?.first?["state"]?.text == "succeeded"
        }
        #expect(try await second.stop(within: 30) == 0)
        #expect(try scratchEntries(lake) == [live, live + ".lock"].sorted())
    }
}
