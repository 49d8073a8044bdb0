import Foundation
import Testing
import VidpipeTestSupport

/// Legacy containers and codecs the libraries decode (MPEG-PS, Ogg, FLV, ASF, DV; h263,
/// mpeg1video, msvideo1, theora, wmv2, pcm_u8): the standard policy accepts and converts
/// them with a warning, the strict preset rejects them, and a broken file fails under both.
@Suite struct LegacyFormatTests {
    /// Each recipe of `scripts/clips`, with the container and codecs ffprobe names in it.
    static let recipes = ["legacy-mpeg-ps", "legacy-ogg", "legacy-flv", "legacy-asf", "legacy-dv", "legacy-h263", "legacy-msvideo1"]

    @Test func standardPolicyAcceptsAndConvertsLegacyFormats() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let clips = try Self.makeClips(in: lake)
        let broken = lake.incoming + "/broken.mp4"
        try Clip.truncated(broken, moovAtFront: false)

        let (status, report) = try lake.process(clips + [broken])
        #expect(status == 1, "only the broken file is rejected")
        for clip in clips {
            let job = try #require(report.jobs.first { Self.job($0, isFor: clip, in: lake) }, "\(clip)")
            #expect(job.state == "succeeded" && job.verdict == "warn", "\(clip): \(job.state) \(job.verdict ?? "-") \(job.message ?? "")")
            let findings = try lake.query("SELECT kind, severity, message FROM qc_findings WHERE job_id = '\(job.jobId)'")
            #expect(!findings.contains { $0["severity"]?.text == "fail" }, "\(clip): \(findings)")
            // The warning names what ffprobe sees as off the house lists.
            let oracle = try CommandLineTool.ffprobe(clip)
            let unlisted = Self.unlistedNames(oracle)
            let warned = findings.filter { $0["kind"]?.text?.hasPrefix("policy.") == true && $0["severity"]?.text == "warn" }
                .compactMap { $0["message"]?.text }.joined(separator: "\n")
            #expect(!unlisted.isEmpty, "\(clip): the recipe should hold a legacy format")
            for name in unlisted {
                #expect(warned.contains(" \(name) is a legacy or uncommon format"), "\(clip): no warning about \(name): \(warned)")
            }
            // Converted: every rendition is H.264 4:2:0 that ffprobe reads.
            let renditions = try lake.query("SELECT path FROM renditions WHERE video_id = '\(job.videoId ?? "")'").compactMap { $0["path"]?.text }
            #expect(!renditions.isEmpty, "\(clip): no rendition")
            for rendition in renditions {
                let video = try #require(try CommandLineTool.ffprobe(rendition).streams?.first { $0.codecType == "video" })
                #expect(video.codecName == "h264" && video.pixFmt == "yuv420p", "\(rendition)")
            }
        }
        let brokenJob = try #require(report.jobs.first { Self.job($0, isFor: broken, in: lake) })
        #expect(brokenJob.state == "rejected" && brokenJob.errorCode == "missing_movie_index", "\(brokenJob)")
    }

    @Test func strictPresetRejectsLegacyFormats() throws {
        let lake = try TestLake(environment: ["VIDPIPE_POLICY_PRESET": "strict"])
        defer { lake.remove() }
        let clips = try Self.makeClips(in: lake)
        let (status, report) = try lake.process(clips)
        #expect(status == 1)
        #expect(report.jobs.count == clips.count)
        for job in report.jobs {
            #expect(job.state == "rejected" && job.errorCode == "policy_rejected", "\(job)")
            #expect(job.message?.contains("is not accepted (allowed: ") == true, "\(job.message ?? "")")
        }
    }

    private static func makeClips(in lake: TestLake) throws -> [String] {
        try recipes.map { recipe in
            let path = lake.incoming + "/" + recipe
            try Clip.make(recipe, path)
            return path
        }
    }

    /// Container and codec names of the file that the default house lists leave out.
    private static func unlistedNames(_ probe: FFprobeOutput) -> [String] {
        let house = Set(["avi", "matroska", "webm", "mov", "mp4", "mpegts", "mxf",
                         "av1", "dnxhd", "ffv1", "h264", "hevc", "mjpeg", "mpeg2video", "mpeg4", "prores", "vp8", "vp9",
                         "aac", "ac3", "eac3", "flac", "mp2", "mp3", "opus", "pcm_s16le", "pcm_s24le", "vorbis"])
        let container = probe.format.formatName.split(separator: ",").map(String.init)
        let containerNames = container.contains(where: house.contains) ? [] : [probe.format.formatName]
        return containerNames + (probe.streams ?? []).compactMap(\.codecName).filter { !house.contains($0) }
    }

    private static func job(_ job: ProcessReport.Job, isFor path: String, in lake: TestLake) -> Bool {
        (try? lake.query("SELECT source_path FROM jobs WHERE id = '\(job.jobId)'").first?["source_path"]?.text) == path
    }
}
