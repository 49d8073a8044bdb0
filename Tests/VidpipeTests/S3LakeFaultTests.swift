import Foundation
import Testing
import VidpipeTestSupport

/// The lake's store killed with SIGKILL while `vidpipe process` writes to it, on a SeaweedFS
/// of this suite's own (``PrivateS3Store``; the shared one serves every other test). What a
/// user would check afterwards, with curl (``S3Oracle``), ffprobe, sha256sum and sqlite3: a
/// job is recorded only with every object its rows name complete in the bucket, an outage is
/// never recorded as the video's failure, and nothing half-written stays behind.
@Suite(.serialized, .enabled(if: S3TestServer.shouldRun, "\(S3TestServer.skipReason)"))
struct S3LakeFaultTests {
    /// Apart from the ObjectStorage outage tests' store (shared port + 100), which may run at the same time.
    static let storePort = 18733

    /// Back within the retries: the store is killed while bronze uploads the source in parts
    /// (over the 64 MiB multipart threshold) and started again at once; the restart takes
    /// 2 to 30 s here, well within a 120 s outage tolerance.
    @Test func theStoreKilledMidUploadAndBackWithinTheRetriesIsRetriedInPlace() async throws {
        let store = try PrivateS3Store(port: Self.storePort)
        defer { store.stop() }
        let lake = try S3Lake(variables: store.variables, extra: ["VIDPIPE_OUTAGE_TOLERANCE_SECONDS": "120",
                                                                   "VIDPIPE_RENDITIONS": "360p:360:800:96"])
        defer { lake.remove() }
        let clip = lake.local.incoming + "/noise.mp4"
        try Clip.make("noise-lossless", clip)
        let size = try Self.size(clip)
        #expect(size > 64 << 20, "the source is too small for a multipart upload: \(size)")
        let hash = try CommandLineTool.sha256sum(clip)
        let sourceKey = "lake/bronze/sha256/\(hash.prefix(2))/\(hash)/source.mp4"

        let running = try DaemonProcess(lake.local, name: "process", arguments: ["process", "--json", clip])
        try await waitUntil("a part of the source in the store", timeout: .seconds(180)) {
            guard let id = try lake.oracle.openUploads(lake.bucket, prefix: sourceKey).first else { return false }
            return try !lake.oracle.uploadedParts(bucket: lake.bucket, key: sourceKey, uploadID: id).isEmpty
        }
        try store.kill()
        #expect(try lake.local.logEntries(event: "task.succeeded", task: "bronze.stage").isEmpty, "the upload ended before the kill")
        let restart = try store.restartInBackground()
        defer { restart.waitUntilExit() }
        let status = try await running.stop(with: 0, within: 400)
        #expect(status == 0, "\(running.log.suffix(3000))")
        let report = try JSONDecoder.snakeCase.decode(ProcessReport.self, from: running.output)
        #expect(report.jobs.count == 1 && report.jobs.first?.recorded == true && report.jobs.first?.state == "succeeded", "\(report)")

        // Retried in place: one job, whose bronze.stage failed on the outage and then succeeded.
        #expect(try lake.local.query("SELECT id FROM jobs").count == 1)
        let attempts = try lake.local.query("SELECT attempt, state, error FROM task_runs WHERE task = 'bronze.stage' ORDER BY attempt")
        #expect(attempts.count >= 2 && attempts.last?["state"]?.text == "succeeded", "\(attempts)")
        #expect(attempts.dropLast().allSatisfy { $0["state"]?.text == "retrying" && ($0["error"]?.text ?? "").contains("storage_unreachable") },
                "\(attempts)")
        #expect(try !lake.local.logEntries(event: "task.retrying", task: "bronze.stage").isEmpty)

        try expectCatalogNamesOnlyWholeObjects(lake, source: clip)
        #expect(try lake.oracle.sha256(bucket: lake.bucket, key: sourceKey) == hash)
        #expect(try lake.oracle.openUploads(lake.bucket).isEmpty, "a multipart upload was left open")
        #expect(try !lake.objects().contains { $0.key.hasPrefix("lake/pending/") })
    }

    /// Down past the retries: the store is killed while `gold.upload` sends the silver
    /// outputs (the last of them a 100 Mb/s rendition of noise, about 50 MB) and stays down for longer than a
    /// 2 s outage tolerance. The job is left unrecorded, not failed; once the store is back
    /// the same request completes, and the start-up sweep removes what the cut job left.
    @Test func theStoreDownPastTheRetriesLeavesTheJobUnrecordedAndARerunCompletesIt() async throws {
        let store = try PrivateS3Store(port: Self.storePort)
        defer { store.stop() }
        let lake = try S3Lake(variables: store.variables, extra: ["VIDPIPE_OUTAGE_TOLERANCE_SECONDS": "2",
                                                                   "VIDPIPE_RENDITIONS": "video720p:720:100000:128"])
        defer { lake.remove() }
        let clip = lake.local.incoming + "/noise.mp4"
        try Clip.make("noise-lossless", clip)

        let running = try DaemonProcess(lake.local, name: "process", arguments: ["process", "--json", clip])
        // Uploads go in name order: the small files first, the big rendition (video720p.mp4) last.
        try await waitUntil("the job's first silver uploads", timeout: .seconds(300)) {
            try lake.objects().contains { $0.key.hasPrefix("lake/silver/") && $0.key.hasSuffix("/storyboard.vtt") }
        }
        try store.kill()
        let status = try await running.stop(with: 0, within: 300)
        #expect(status == 1, "\(running.log.suffix(3000))")
        let report = try JSONDecoder.snakeCase.decode(ProcessReport.self, from: running.output)
        let cut = try #require(report.jobs.first)
        #expect(!cut.recorded && cut.errorCode == "storage_unreachable", "\(report)")
        #expect(cut.message?.contains("runs again later") == true, "\(cut.message ?? "-")")
        #expect(try !lake.local.logEntries(event: "task.failed", task: "gold.upload").isEmpty, "the kill did not land in gold.upload")
        // Nothing recorded: no job, so no row that could name a missing object.
        #expect(try lake.local.query("SELECT id FROM jobs").isEmpty)
        #expect(try lake.catalogPaths().isEmpty)

        let restart = try store.restartInBackground()
        restart.waitUntilExit()
        #expect(restart.terminationStatus == 0)
        // What the cut job left: its marker and part of its silver outputs, never the cut one.
        let left = try lake.objects()
        let markers = left.map(\.key).filter { $0.hasPrefix("lake/pending/") }
        #expect(!markers.isEmpty, "\(left.map(\.key))")
        let partial = left.map(\.key).filter { $0.hasPrefix("lake/silver/") }
        #expect(partial.contains { $0.hasSuffix("/storyboard.vtt") } && !partial.contains { $0.hasSuffix("/video720p.mp4") }, "\(partial)")
        #expect(try lake.oracle.openUploads(lake.bucket).isEmpty)

        // Redelivered (run again): recorded, from the same bronze object.
        let (again, rerun) = try lake.local.process([clip])
        #expect(again == 0, "\(rerun)")
        let recorded = try #require(rerun.jobs.first?.videoId)
        try expectCatalogNamesOnlyWholeObjects(lake, source: clip)

        // The next start once the cut job's marker is past the window of a live job
        // (2 × 5 s task timeout + 5 s) removes its uploads; the recorded video's stay.
        let stamp = try #require(markers.compactMap { $0.split(separator: "/").last.flatMap { Double($0) } }.max())
        try await Task.sleep(for: .seconds(max(0, stamp + 16 - Date().timeIntervalSince1970)))
        let (swept, _) = try lake.local.process([try lake.local.distinctClip("later.mp4")], environment: ["VIDPIPE_TASK_TIMEOUT_SECONDS": "5"])
        #expect(swept == 0)
        let keys = try lake.objects().map(\.key)
        #expect(!keys.contains { $0.hasPrefix("lake/pending/") }, "\(keys)")
        let videos = Set(try lake.local.query("SELECT id FROM videos").compactMap { $0["id"]?.text })
        #expect(videos.contains(recorded) && videos.count == 2)
        let silverFolders = Set(keys.filter { $0.hasPrefix("lake/silver/") }.map { String($0.split(separator: "/")[2]) })
        #expect(silverFolders == videos, "silver folders no catalog row names: \(silverFolders.subtracting(videos))")
        try expectCatalogNamesOnlyWholeObjects(lake, source: clip)
    }

    /// A job that fails after bronze uploaded its source (Matroska with only subtitles: it
    /// probes, then silver finds nothing to decode) keeps the bronze object, as the lake on
    /// disk keeps the bronze file (EdgeCaseFileTests); no video row names it.
    @Test func aJobFailingAfterBronzeKeepsTheBronzeObjectAsOnDisk() throws {
        let store = try PrivateS3Store(port: Self.storePort)
        defer { store.stop() }
        let lake = try S3Lake(variables: store.variables)
        defer { lake.remove() }
        let file = try EdgeCaseFile.subtitlesOnlyMatroska.make(in: lake.local.incoming)
        let (status, report) = try lake.local.process([file])
        #expect(status == 1)
        #expect(report.jobs.first?.errorCode == "no_audio_or_video" && report.jobs.first?.recorded == true, "\(report)")
        #expect(try lake.local.query("SELECT id FROM videos").isEmpty)
        let hash = try CommandLineTool.sha256sum(file)
        let bronze = "lake/bronze/sha256/\(hash.prefix(2))/\(hash)/"
        let keys = try lake.objects().map(\.key)
        #expect(keys.contains(bronze + "probe.json"), "\(keys)")
        #expect(try lake.oracle.sha256(bucket: lake.bucket, key: bronze + "source.mkv") == hash)
        #expect(!keys.contains { $0.hasPrefix("lake/silver/") || $0.hasPrefix("lake/pending/") }, "\(keys)")
    }

    /// Every object the catalog names is in the bucket, whole: the bronze source has the
    /// source's bytes, each rendition the size its row records and a full H.264 decode.
    private func expectCatalogNamesOnlyWholeObjects(_ lake: S3Lake, source: String) throws {
        let sizes = Dictionary(uniqueKeysWithValues: try lake.objects().map { ($0.key, $0.size) })
        for path in try lake.catalogPaths() {
            #expect(lake.key(of: path).flatMap { sizes[$0] } != nil, "the catalog names \(path), which is not in the bucket")
        }
        let hash = try CommandLineTool.sha256sum(source)
        for row in try lake.local.query("SELECT bronze_path FROM videos WHERE content_sha256 = '\(hash)'") {
            let key = try #require(lake.key(of: row["bronze_path"]?.text ?? ""))
            #expect(try lake.oracle.sha256(bucket: lake.bucket, key: key) == hash, "\(key)")
        }
        for rendition in try lake.local.query("SELECT path, size_bytes FROM renditions") {
            let uri = try #require(rendition["path"]?.text)
            let key = try #require(lake.key(of: uri))
            #expect(sizes[key].map(Double.init) == rendition["size_bytes"]?.number, "\(key)")
            let local = lake.local.scratch.path("check-\(UUID().uuidString.prefix(6)).mp4")
            defer { try? FileManager.default.removeItem(atPath: local) }
            try lake.oracle.download(uri, to: local)
            let decoded = try CommandLineTool.run("/usr/bin/ffmpeg", ["-v", "error", "-i", local, "-f", "null", "-"])
            #expect(decoded.status == 0 && decoded.stderr.isEmpty, "\(key): \(decoded.stderr.prefix(500))")
        }
    }

    private static func size(_ path: String) throws -> Int64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
    }
}
