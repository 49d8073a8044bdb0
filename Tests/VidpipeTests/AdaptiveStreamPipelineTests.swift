import Foundation
import Testing
import VidpipeTestSupport

/// `vidpipe process` with the HLS stream on a lake on disk: where the stream lands, what the
/// catalog, the report page and `vidpipe show` say about it, `VIDPIPE_SEGMENT_SECONDS`,
/// `VIDPIPE_DASH`, and a segment broken while the job runs.
@Suite struct AdaptiveStreamPipelineTests {
    @Test func theStreamLandsInTheSilverFolderAndEveryReaderLinksIt() throws {
        let lake = try TestLake(environment: ["VIDPIPE_SEGMENT_SECONDS": "2"])
        defer { lake.remove() }
        let clip = lake.incoming + "/clip.mp4"
        try Clip.good(clip, seconds: 5)
        let (status, report) = try lake.process([clip])
        #expect(status == 0, "\(report)")
        let videoID = try #require(report.jobs.first?.videoId)
        let folder = lake.silver + "/" + videoID

        let master = try #require(try lake.query("SELECT hls_master_path FROM videos").first?["hls_master_path"]?.text)
        #expect(master == folder + "/hls/master.m3u8")
        let decode = try CommandLineTool.run("ffmpeg", ["-nostdin", "-v", "error", "-i", master, "-map", "0", "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "decoding \(master): \(decode.stderr)")
        let playlist = try String(contentsOfFile: folder + "/hls/240p.m3u8", encoding: .utf8)
        #expect(playlist.components(separatedBy: "#EXTINF:").count - 1 == 3, "5 s in 2 s segments: \(playlist)")

        // The report page links the master playlist relative to itself.
        let page = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(page.contains(#"href="hls/master.m3u8""#), "no link to the stream in the report page")
        #expect(FileManager.default.fileExists(atPath: folder + "/hls/master.m3u8"))

        let shown = try lake.vidpipe(["show", videoID])
        #expect(shown.status == 0 && shown.text.contains("hls        \(master)"), "\(shown.text) \(shown.stderr)")
        let json = try lake.vidpipe(["show", videoID, "--json"])
        let document = try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any]
        #expect((document?["video"] as? [String: Any])?["hls_master_path"] as? String == master)

        // No DASH manifest unless asked for.
        #expect(!FileManager.default.fileExists(atPath: folder + "/hls/manifest.mpd"))
        #expect(!page.contains("manifest.mpd") && !shown.text.contains("dash ") && document?["dash_manifest_path"] == nil)
    }

    @Test func dashOnWritesTheManifestBesideTheMasterAndEveryReaderLinksIt() throws {
        let lake = try TestLake(environment: ["VIDPIPE_SEGMENT_SECONDS": "2", "VIDPIPE_DASH": "1"])
        defer { lake.remove() }
        let clip = lake.incoming + "/clip.mp4"
        try Clip.good(clip, seconds: 5)
        let (status, report) = try lake.process([clip])
        #expect(status == 0, "\(report)")
        let videoID = try #require(report.jobs.first?.videoId)
        let manifest = lake.silver + "/" + videoID + "/hls/manifest.mpd"

        let decode = try CommandLineTool.run("ffmpeg", ["-nostdin", "-v", "error", "-i", manifest, "-map", "0", "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "decoding \(manifest): \(decode.stderr)")
        let page = try String(contentsOfFile: lake.silver + "/" + videoID + "/report.html", encoding: .utf8)
        #expect(page.contains(#"href="hls/manifest.mpd""#), "no link to the DASH manifest in the report page")
        let shown = try lake.vidpipe(["show", videoID])
        #expect(shown.status == 0 && shown.text.contains("dash       \(manifest)"), "\(shown.text) \(shown.stderr)")
        let json = try lake.vidpipe(["show", videoID, "--json"])
        let document = try JSONSerialization.jsonObject(with: json.stdout) as? [String: Any]
        #expect(document?["dash_manifest_path"] as? String == manifest)
    }

    @Test func dashIsRefusedWithoutTheStreamAndForAValueOtherThanZeroOrOne() throws {
        let lake = try TestLake(environment: [:])
        defer { lake.remove() }
        let clip = lake.incoming + "/clip.mp4"
        try Clip.good(clip)
        let noStream = try lake.vidpipe(["process", clip], environment: ["VIDPIPE_SEGMENT_SECONDS": "0", "VIDPIPE_DASH": "1"])
        #expect(noStream.status != 0)
        #expect(noStream.stderr.contains("VIDPIPE_DASH") && noStream.stderr.contains("VIDPIPE_SEGMENT_SECONDS=0"), "\(noStream.stderr)")
        let notASwitch = try lake.vidpipe(["process", clip], environment: ["VIDPIPE_DASH": "yes"])
        #expect(notASwitch.status != 0)
        #expect(notASwitch.stderr.contains("VIDPIPE_DASH") && notASwitch.stderr.contains("\"yes\" is not 0 or 1"), "\(notASwitch.stderr)")
    }

    /// How the test breaks a finished segment under a running job, and what vidpipe must say.
    enum SegmentFault: String, CaseIterable, Sendable {
        case truncated, deleted

        var expected: String { self == .truncated ? "is truncated" : "is missing" }

        func apply(to path: String) throws {
            guard self == .truncated else { return try FileManager.default.removeItem(atPath: path) }
            let segment = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? segment.close() }
            try segment.truncate(atOffset: try segment.seekToEnd() / 2)
        }
    }

    /// vidpipe's own check of the stream, met inside a running job: the test breaks a
    /// finished segment in the job's working folder while the job still decodes and encodes
    /// (segment 0, once segment 1 exists: the muxer writes a segment whole when the next one
    /// starts). The job fails with `stream_output_invalid` naming that segment, and nothing
    /// of the stream reaches the catalog, the silver folder or stays in staging.
    @Test(arguments: SegmentFault.allCases)
    func aSegmentBrokenWhileTheJobEncodesFailsTheJobAndPublishesNothing(_ fault: SegmentFault) async throws {
        let lake = try TestLake(environment: ["VIDPIPE_RENDITIONS": "240p:240:300:64", "VIDPIPE_SEGMENT_SECONDS": "1"])
        defer { lake.remove() }
        // 1080p for 15 s: seconds of decoding after segment 1 is written (2.9 s measured here).
        let clip = try lake.distinctClip("long.mp4", size: "1920x1080", seconds: 15)
        let job = try DaemonProcess(lake, name: "process", arguments: ["process", "--json", clip])
        try await waitUntil("the job's second segment", timeout: .seconds(120), every: .milliseconds(10)) {
            let streams = lake.entries(of: lake.staging).filter { !$0.hasSuffix(".lock") }.map { lake.staging + "/" + $0 + "/hls" }
            guard let hls = streams.first, FileManager.default.fileExists(atPath: hls + "/240p_00001.m4s") else { return false }
            try fault.apply(to: hls + "/240p_00000.m4s")
            return true
        }
        #expect(job.process.isRunning, "the job ended before its segment was broken: nothing here met the check")
        #expect(try await eventually(within: 180) { !job.process.isRunning }, "\(job.log.suffix(2000))")
        #expect(job.process.terminationStatus == 1, "\(job.log.suffix(2000))")

        let outcome = try #require(try JSONDecoder.snakeCase.decode(ProcessReport.self, from: job.output).jobs.first)
        #expect(outcome.state == "rejected" && outcome.errorCode == "stream_output_invalid", "\(outcome)")
        #expect(outcome.message?.contains("segment 240p_00000.m4s of 240p.m3u8 \(fault.expected)") == true, "\(outcome.message ?? "no message")")
        #expect(outcome.message?.contains(lake.staging) == false, "names a folder removed with the job: \(outcome.message ?? "")")
        #expect(outcome.hlsMasterPath == nil)
        // The catalog has the job, failed for that reason, and no video: no row names the stream.
        #expect(try lake.query("SELECT state, error_code FROM jobs") == [["state": .string("rejected"), "error_code": .string("stream_output_invalid")]])
        #expect(try lake.query("SELECT id FROM videos").isEmpty)
        // The lake holds no silver folder, and the job's working folder went with its stream.
        #expect(lake.entries(of: lake.silver).isEmpty, "published: \(lake.entries(of: lake.silver))")
        #expect(lake.entries(of: lake.staging).isEmpty, "left in staging: \(lake.entries(of: lake.staging))")
    }

    @Test func segmentSecondsZeroWritesNoStreamAndAnOutOfRangeValueIsRefused() throws {
        let lake = try TestLake(environment: ["VIDPIPE_SEGMENT_SECONDS": "0"])
        defer { lake.remove() }
        let clip = lake.incoming + "/clip.mp4"
        try Clip.good(clip)
        let (status, report) = try lake.process([clip])
        #expect(status == 0, "\(report)")
        let videoID = try #require(report.jobs.first?.videoId)
        #expect(!FileManager.default.fileExists(atPath: lake.silver + "/" + videoID + "/hls"))
        #expect(try lake.query("SELECT hls_master_path FROM videos").first?["hls_master_path"] == .null)

        let refused = try lake.vidpipe(["process", clip], environment: ["VIDPIPE_SEGMENT_SECONDS": "90"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("VIDPIPE_SEGMENT_SECONDS") && refused.stderr.contains("0.5 to 60 seconds"), "\(refused.stderr)")
    }
}
