import Foundation
import Testing
import VidpipeTestSupport

/// The lake in object storage (`VIDPIPE_DATALAKE=s3://bucket/prefix`) against a real
/// SeaweedFS: what `vidpipe process` leaves in the bucket and the catalog, checked with the
/// aws CLI, ffprobe and sqlite3; the start-up errors; and what a job killed between its
/// upload and its commit leaves once the sweep has run.
@Suite(.enabled(if: S3TestServer.shouldRun, "\(S3TestServer.skipReason)"), .serialized)
struct S3LakeTests {
    @Test func processPutsEveryOutputInTheBucketAndTheCatalogNamesOnlyStoredObjects() throws {
        let lake = try S3Lake()
        defer { lake.remove() }
        let clip = lake.local.incoming + "/clip.mp4"
        try Clip.good(clip, seconds: 2)
        let (status, report) = try lake.local.process([clip], environment: ["VIDPIPE_DASH": "1"])
        #expect(status == 0, "\(report)")
        let videoID = try #require(report.jobs.first?.videoId)

        let stored = try lake.objects()
        let sizes = Dictionary(uniqueKeysWithValues: stored.map { ($0.key, $0.size) })
        // Bronze: the source's very bytes under their hash, with the probe beside it.
        let hash = try CommandLineTool.sha256sum(clip)
        let bronze = "lake/bronze/sha256/\(hash.prefix(2))/\(hash)/"
        #expect(sizes[bronze + "source.mp4"] == Int64(try Data(contentsOf: URL(fileURLWithPath: clip)).count))
        #expect(sizes[bronze + "probe.json"] != nil)
        let source = lake.local.scratch.path("source.mp4")
        try lake.oracle.download("s3://\(lake.bucket)/\(bronze)source.mp4", to: source)
        #expect(try CommandLineTool.sha256sum(source) == hash)
        let bronzePath = try #require(try lake.local.query("SELECT bronze_path FROM videos").first?["bronze_path"]?.text)
        #expect(bronzePath == "s3://\(lake.bucket)/\(bronze)source.mp4")

        // Silver: the same layout as on disk, under silver/<video id>/.
        let silver = stored.map(\.key).filter { $0.hasPrefix("lake/silver/\(videoID)/") }
        for name in ["qc.json", "metadata.json", "report.html"] {
            #expect(silver.contains("lake/silver/\(videoID)/\(name)"), "\(silver)")
        }
        let renditions = try lake.local.query("SELECT name, path, width, height, size_bytes, duration_seconds FROM renditions")
        #expect(!renditions.isEmpty)
        for rendition in renditions {
            let uri = try #require(rendition["path"]?.text)
            let key = try #require(lake.key(of: uri), "\(uri) is not in the lake's bucket")
            #expect(sizes[key].map(Double.init) == rendition["size_bytes"]?.number, "\(key)")
            let local = lake.local.scratch.path("rendition-\(rendition["name"]?.text ?? "").mp4")
            try lake.oracle.download(uri, to: local)
            let probe = try CommandLineTool.ffprobe(local)
            let video = try #require(probe.streams?.first { $0.codecType == "video" })
            #expect(video.codecName == "h264")
            #expect(video.width.map(Double.init) == rendition["width"]?.number)
            #expect(video.height.map(Double.init) == rendition["height"]?.number)
            #expect(abs((Double(probe.format.duration ?? "") ?? 0) - 2) < 0.1, "\(probe.format.duration ?? "-")")
        }
        // The HLS stream: the catalog names its master playlist in the bucket, and every
        // playlist and segment the playlists name was uploaded beside it.
        let master = try #require(try lake.local.query("SELECT hls_master_path FROM videos").first?["hls_master_path"]?.text)
        #expect(master == "s3://\(lake.bucket)/lake/silver/\(videoID)/hls/master.m3u8")
        let hls = silver.filter { $0.hasPrefix("lake/silver/\(videoID)/hls/") }
        let masterCopy = lake.local.scratch.path("master.m3u8")
        try lake.oracle.download(master, to: masterCopy)
        for playlist in try String(contentsOfFile: masterCopy, encoding: .utf8).split(separator: "\n").compactMap(Self.playlistURI) {
            #expect(hls.contains("lake/silver/\(videoID)/hls/\(playlist)"), "\(playlist) not uploaded: \(hls)")
            let copy = lake.local.scratch.path(playlist)
            try lake.oracle.download("s3://\(lake.bucket)/lake/silver/\(videoID)/hls/\(playlist)", to: copy)
            for line in try String(contentsOfFile: copy, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
                #expect(sizes["lake/silver/\(videoID)/hls/\(line)"] ?? 0 > 0, "segment \(line) of \(playlist) not uploaded")
            }
        }
        // The DASH manifest travels in the same folder.
        let manifest = "s3://\(lake.bucket)/lake/silver/\(videoID)/hls/manifest.mpd"
        #expect(sizes["lake/silver/\(videoID)/hls/manifest.mpd"] ?? 0 > 0, "manifest.mpd not uploaded: \(hls)")
        // The catalog names nothing that is not stored, and nothing is left half-done.
        for path in try lake.catalogPaths() {
            #expect(lake.key(of: path).flatMap { sizes[$0] } != nil, "the catalog names \(path), which is not in the bucket")
        }
        #expect(!stored.contains { $0.key.hasPrefix("lake/pending/") }, "markers left: \(stored.map(\.key))")
        #expect(lake.local.entries(of: lake.scratch + "/staging").filter { !$0.hasSuffix(".lock") }.isEmpty)

        // Readers: show names the silver folder and the report page by their URIs.
        let shown = try lake.local.vidpipe(["show", videoID])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.text.contains("silver     s3://\(lake.bucket)/lake/silver/\(videoID)"), "\(shown.text)")
        #expect(shown.text.contains("s3://\(lake.bucket)/lake/silver/\(videoID)/report.html"), "\(shown.text)")
        #expect(shown.text.contains("hls        \(master)"), "\(shown.text)")
        #expect(shown.text.contains("dash       \(manifest)"), "\(shown.text)")
    }

    /// The media playlist a master playlist line names (a variant's URI line or an `URI=` attribute).
    static func playlistURI(_ line: Substring) -> String? {
        if !line.hasPrefix("#") { return String(line) }
        guard let range = line.range(of: "URI=\"") else { return nil }
        return String(line[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func refusedCredentialsAndAMissingBucketStopTheStartClearlyAndTouchNothing() throws {
        let lake = try S3Lake()
        defer { lake.remove() }
        let clip = lake.local.incoming + "/clip.mp4"
        try Clip.good(clip)
        let endpoint = try #require(lake.variables["AWS_ENDPOINT_URL"])

        let secret = "not-the-secret-\(UUID().uuidString.prefix(6))"
        let refused = try lake.local.vidpipe(["process", clip], environment: ["AWS_SECRET_ACCESS_KEY": secret])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("the object store at \(endpoint) refused the access key"), "\(refused.stderr)")
        #expect(refused.stderr.contains("[storage_credentials_rejected]"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(secret) && !refused.text.contains(secret))

        let missing = "missing-\(UUID().uuidString.prefix(8).lowercased())"
        let noBucket = try lake.local.vidpipe(["process", clip], environment: ["VIDPIPE_DATALAKE": "s3://\(missing)/lake"])
        #expect(noBucket.status == 2)
        #expect(noBucket.stderr.contains("the bucket \(missing) of the data lake s3://\(missing)/lake (VIDPIPE_DATALAKE) does not exist at \(endpoint)"),
                "\(noBucket.stderr)")
        #expect(noBucket.stderr.contains("create it"))

        #expect(try lake.objects().isEmpty)
        #expect(try !lake.oracle.bucketExists(missing))
        #expect(!FileManager.default.fileExists(atPath: lake.local.catalog), "a catalog was created")
    }

    /// Also what the daemon's metrics say it wrote: `vidpipe_bytes_out_total` is the bytes
    /// of the silver objects in the bucket (there is no silver folder to measure).
    @Test func theInboxDaemonWritesToTheBucket() async throws {
        let lake = try S3Lake()
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake.local, environment: ["VIDPIPE_INBOX_POLL_SECONDS": "0.2"])
        let endpoint = try #require(try await MetricsOracle.waitForEndpoint(lake: lake.local.root), "no endpoint: \(daemon.log)")
        let clip = try lake.local.distinctClip("inbox.mp4")
        let produced = try lake.local.vidpipe(["produce", clip])
        #expect(produced.status == 0, "\(produced.stderr)")
        let settled = try await eventually(within: 60) { try lake.local.requests(in: lake.local.inbox + "/done").count == 1
            && !lake.local.query("SELECT id FROM videos").isEmpty }
        #expect(settled, "\(daemon.log.suffix(2000))")
        let silverBytes = try lake.objects().filter { $0.key.hasPrefix("lake/silver/") }.reduce(0) { $0 + Double($1.size) }
        #expect(silverBytes > 0)
        // Counted when gold.publish ends, a moment after the commit that made the row visible.
        var counted: Double?
        let matched = try await eventually(within: 20) {
            counted = try endpoint.scrape().value("vidpipe_bytes_out_total")
            return counted == silverBytes
        }
        #expect(matched, "vidpipe_bytes_out_total \(counted ?? -1), silver objects \(silverBytes) bytes")
        #expect(try await daemon.stop(within: 20) == 0)
        let videoID = try #require(try lake.local.query("SELECT id FROM videos").first?["id"]?.text)
        let keys = Set(try lake.objects().map(\.key))
        #expect(keys.contains("lake/silver/\(videoID)/report.html"), "\(keys)")
        for path in try lake.catalogPaths() { #expect(lake.key(of: path).map(keys.contains) == true, "\(path)") }
    }

    /// A job killed after its silver upload and before its commit (the catalog is held locked
    /// so the commit waits): its objects stay while they could belong to a live job, and
    /// the next start after that window removes them.
    @Test func aJobKilledBetweenUploadAndCommitLeavesNothingOnceSwept() async throws {
        let lake = try S3Lake()
        defer { lake.remove() }
        let clip = try lake.local.distinctClip("killed.mp4", seconds: 2)
        let running = try DaemonProcess(lake.local, name: "process", arguments: ["process", clip])
        try await waitUntil("silver to start", timeout: .seconds(60)) {
            try !lake.local.logEntries(event: "task.running", task: "silver.media").isEmpty
        }
        let locker = try CatalogLocker(catalog: lake.local.catalog, scratch: lake.local.scratch)
        defer { locker.release() }
        try await locker.waitUntilLocked()
        try await waitUntil("the commit to wait on the locked catalog", timeout: .seconds(60)) {
            try !lake.local.logEntries(event: "task.running", task: "gold.catalog").isEmpty
        }
        let uploaded = try lake.objects().map(\.key).filter { $0.hasPrefix("lake/silver/") }
        #expect(uploaded.contains { $0.hasSuffix("/report.html") }, "the upload did not finish: \(uploaded)")
        #expect(try await running.stop(with: SIGKILL, within: 10) != nil)
        locker.release()
        #expect(try lake.local.query("SELECT id FROM videos").isEmpty)

        // At once, with a 5 s task timeout (a job counts as dead after 15 s): too young to be swept.
        let quick = ["VIDPIPE_TASK_TIMEOUT_SECONDS": "5"]
        #expect(try lake.local.process([try lake.local.distinctClip("young.mp4")], environment: quick).status == 0)
        for key in uploaded { #expect(try lake.objects().map(\.key).contains(key), "a possibly live job's \(key) was swept") }

        try await Task.sleep(for: .seconds(16))
        let (status, report) = try lake.local.process([try lake.local.distinctClip("later.mp4")], environment: quick)
        #expect(status == 0)
        let recorded = Set(try lake.local.query("SELECT id FROM videos").compactMap { $0["id"]?.text })
        #expect(recorded.count == 2 && recorded.contains(report.jobs.first?.videoId ?? "-"))
        let left = try lake.objects().map(\.key)
        #expect(!left.contains { uploaded.contains($0) }, "the killed job's objects are still there: \(left)")
        let silverFolders = Set(left.filter { $0.hasPrefix("lake/silver/") }.map { $0.split(separator: "/")[2] }.map(String.init))
        #expect(silverFolders == recorded, "silver folders no catalog row names")
        #expect(!left.contains { $0.hasPrefix("lake/pending/") }, "\(left)")
        for path in try lake.catalogPaths() { #expect(lake.key(of: path).map(left.contains) == true, "\(path)") }
    }

    /// The commit fails for good after the upload (the catalog stays locked past the outage
    /// tolerance): the job deletes what it uploaded at once, no sweep needed.
    @Test func aJobWhoseCommitFailsDeletesItsUploadsAtOnce() async throws {
        let lake = try S3Lake(extra: ["VIDPIPE_OUTAGE_TOLERANCE_SECONDS": "2"])
        defer { lake.remove() }
        let clip = try lake.local.distinctClip("unrecorded.mp4", seconds: 2)
        let running = try DaemonProcess(lake.local, name: "process", arguments: ["process", "--json", clip])
        try await waitUntil("silver to start", timeout: .seconds(60)) {
            try !lake.local.logEntries(event: "task.running", task: "silver.media").isEmpty
        }
        let locker = try CatalogLocker(catalog: lake.local.catalog, scratch: lake.local.scratch)
        defer { locker.release() }
        try await locker.waitUntilLocked()
        let status = try await running.stop(with: 0, within: 120)
        locker.release()
        #expect(status == 1, "\(running.log.suffix(2000))")
        let uploads = try lake.local.logEntries(event: "task.succeeded", task: "gold.upload")
        #expect(uploads.count == 1, "the upload never ran, so nothing here tests its removal")
        #expect(try lake.local.query("SELECT id FROM videos").isEmpty)
        let left = try lake.objects().map(\.key)
        #expect(!left.contains { $0.hasPrefix("lake/silver/") || $0.hasPrefix("lake/pending/") }, "an unrecorded job's uploads stayed: \(left)")
    }
}

/// A ``TestLake`` whose bronze and silver live in a fresh bucket of the test store, under
/// `s3://<bucket>/lake`, with the catalog, logs and inbox in the lake's local folder.
struct S3Lake {
    var local: TestLake
    let bucket: String
    let variables: [String: String]
    let oracle: S3Oracle
    var scratch: String { local.scratch.path("scratch") }

    init(variables given: [String: String]? = nil, extra: [String: String] = [:]) throws {
        variables = try given ?? S3TestServer.variables()
        oracle = S3Oracle(variables: variables)
        local = try TestLake()
        bucket = try local.moveToBucket(oracle)
        local.environment.merge(extra) { _, new in new }
    }

    func objects() throws -> [S3Oracle.Object] { try oracle.objects(bucket: bucket) }

    /// The key of an `s3://` URI in this lake's bucket; nil for anything else.
    func key(of uri: String) -> String? {
        let prefix = "s3://\(bucket)/"
        return uri.hasPrefix(prefix) ? String(uri.dropFirst(prefix.count)) : nil
    }

    /// Every lake path the catalog records: bronze objects and renditions.
    func catalogPaths() throws -> [String] {
        try local.query("SELECT bronze_path AS path FROM videos UNION ALL SELECT hls_master_path FROM videos UNION ALL SELECT path FROM renditions")
            .compactMap { $0["path"]?.text }
    }

    func remove() { local.remove() }
}

/// A `sqlite3` shell holding an exclusive transaction on a catalog until released.
final class CatalogLocker: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let answer: String

    init(catalog: String, scratch: ScratchDirectory) throws {
        answer = scratch.path("locker-\(UUID().uuidString.prefix(6)).out")
        _ = FileManager.default.createFile(atPath: answer, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [catalog]
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: answer))
        try process.run()
        input.fileHandleForWriting.write(Data(".timeout 20000\nBEGIN EXCLUSIVE; SELECT 'locked';\n".utf8))
    }

    func waitUntilLocked() async throws {
        try await waitUntil("sqlite3 to hold the lock") { (try? String(contentsOfFile: answer, encoding: .utf8))?.contains("locked") == true }
    }

    func release() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
