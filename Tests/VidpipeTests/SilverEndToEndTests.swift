import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// The silver layer through `vidpipe process`: one job gives renditions, thumbnails, QC with
/// timecodes and a fingerprint, all recorded; `vidpipe similar` finds a re-encoded copy.
@Suite struct SilverEndToEndTests {
    /// 640x360, 6 s: 2 s pattern, 2 s black, 2 s pattern, with a tone throughout.
    static func clipWithBlackMiddle(_ path: String) throws {
        try CommandLineTool.checked("ffmpeg", [
            "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=2", "-f", "lavfi", "-i", "color=black:s=640x360:r=25:d=2",
            "-f", "lavfi", "-i", "mandelbrot=s=640x360:r=25", "-f", "lavfi", "-i", "sine=f=440:d=6",
            "-filter_complex", "[2:v]trim=duration=2,setpts=PTS-STARTPTS[m];[0:v][1:v][m]concat=n=3:v=1:a=0[v]",
            "-map", "[v]", "-map", "3:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", path,
        ])
    }

    @Test func oneJobRecordsEverySilverOutput() throws {
        let lake = try TestLake(environment: ["EMAIL_RECEIVER": "a@example.com", "VIDPIPE_MISSING_SIDECAR": "ignore",
                                              "VIDPIPE_QC_BLACK_MIN_SECONDS": "1.0"])
        defer { lake.remove() }
        let clip = lake.incoming + "/black_middle.mp4"
        try Self.clipWithBlackMiddle(clip)

        let (status, report) = try lake.process([clip])
        #expect(status == 0)
        let job = try #require(report.jobs.first)
        let videoID = try #require(job.videoId)

        // Renditions: the ladder below the 360p source height gives exactly the 360p rung,
        // probed by ffprobe as planned.
        let renditions = try lake.query("SELECT name, path, width, height, verified, psnr FROM renditions WHERE video_id = '\(videoID)'")
        #expect(renditions.map { $0["name"]?.text } == ["360p"])
        let rendition = try #require(renditions.first)
        let renditionPath = try #require(rendition["path"]?.text)
        let probe = try CommandLineTool.ffprobe(renditionPath)
        let video = try #require(probe.streams?.first { $0.codecType == "video" })
        #expect(video.width == 640 && video.height == 360)
        #expect(rendition["verified"]?.number == 1)
        #expect((rendition["psnr"]?.number ?? 0) > 30)
        let decodeCheck = try CommandLineTool.run("ffmpeg", ["-nostdin", "-v", "error", "-i", renditionPath, "-f", "null", "-"])
        #expect(decodeCheck.status == 0 && decodeCheck.stderr.isEmpty, "\(decodeCheck.stderr)")

        // QC: the black segment is a finding with timecodes, within a frame of 2.0–4.0 s.
        let black = try lake.query("SELECT start_seconds, end_seconds FROM qc_findings WHERE job_id = '\(job.jobId)' AND kind = 'qc.black'")
        let segment = try #require(black.first)
        #expect(abs((segment["start_seconds"]?.number ?? -1) - 2.0) <= 0.04)
        #expect(abs((segment["end_seconds"]?.number ?? -1) - 4.0) <= 0.04)

        // Enrichment: the cut from black to the mandelbrot at 4.0 s, and a fingerprint.
        let cuts = try lake.query("SELECT seconds FROM scene_cuts WHERE video_id = '\(videoID)'").compactMap { $0["seconds"]?.number }
        #expect(cuts.contains { abs($0 - 4.0) <= 0.04 }, "\(cuts)")
        #expect(try lake.query("SELECT video_id FROM fingerprints").count == 1)

        // Files beside the renditions.
        let folder = lake.root + "/silver/" + videoID
        for name in ["qc.json", "metadata.json", "poster.jpg", "sprite.jpg", "storyboard.vtt"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/" + name), "\(name)")
        }
        let qc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/qc.json"))) as? [String: Any]
        #expect((qc?["findings"] as? [[String: Any]])?.contains { $0["kind"] as? String == "qc.black" } == true)

        // The mail carries the finding's timecode.
        let mails = try FileManager.default.contentsOfDirectory(atPath: lake.outbox).filter { $0.hasSuffix(".eml") }
        let mail = try PythonEmail.parse(lake.outbox + "/" + (mails.first ?? ""))
        #expect(mail.text.contains("00:00:02."), "\(mail.text)")
    }

    @Test func similarFindsAReencodedDownscaledCopyFirst() throws {
        let lake = try TestLake(environment: ["VIDPIPE_RENDITIONS": "none", "VIDPIPE_MISSING_SIDECAR": "ignore"])
        defer { lake.remove() }
        let original = lake.incoming + "/original.mp4"
        try CommandLineTool.checked("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "mandelbrot=s=640x360:r=25",
                                               "-t", "6", "-c:v", "libx264", "-preset", "ultrafast", original])
        var others: [String] = []
        for (index, source) in ["smptebars=s=640x360:r=25:d=6", "testsrc2=s=640x360:r=25:d=6", "life=s=640x360:r=25"].enumerated() {
            let path = lake.incoming + "/other\(index).mp4"
            try CommandLineTool.checked("ffmpeg", ["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t", "6",
                                                   "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path])
            others.append(path)
        }
        let (status, _) = try lake.process([original] + others)
        #expect(status == 0)
        let copy = lake.incoming + "/copy.mp4"
        try CommandLineTool.checked("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", original, "-vf", "scale=320:180",
                                               "-c:v", "mpeg4", "-b:v", "200k", copy])

        let result = try lake.vidpipe(["similar", copy, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let ranked = try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]] ?? []
        #expect((ranked.first?["source_path"] as? String)?.hasSuffix("/original.mp4") == true, "\(ranked)")
        #expect(ranked.first?["is_match"] as? Bool == true)
        #expect(ranked.dropFirst().allSatisfy { $0["is_match"] as? Bool == false }, "\(ranked)")
    }
}
