import Foundation
import Testing
import VidpipeTestSupport

/// `vidpipe process` with the HLS stream on a lake on disk: where the stream lands, what the
/// catalog, the report page and `vidpipe show` say about it, `VIDPIPE_SEGMENT_SECONDS` and
/// `VIDPIPE_DASH`.
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
