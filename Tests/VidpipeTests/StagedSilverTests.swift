import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Silver outputs appear in the lake only for recorded jobs: a job killed mid-silver leaves
/// nothing under `silver/` and its staged folder is removed on the next start; a job killed
/// between its commit and the move has the move finished on the next start.
@Suite struct StagedSilverTests {
    @Test func aJobKilledMidSilverLeavesNoOrphanAfterTheRestart() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let long = try lake.distinctClip("long.mp4", size: "640x360", seconds: 12)
        let running = try DaemonProcess(lake, name: "process", arguments: ["process", long])
        // Mid-silver: the decode has started writing the job's outputs.
        let midSilver = try await eventually(within: 60, every: .milliseconds(20)) {
            try !lake.logEntries(event: "task.running", task: "silver.media").isEmpty
                && lake.entries(of: lake.staging).contains { !$0.hasSuffix(".lock") && !lake.entries(of: lake.staging + "/" + $0).isEmpty }
        }
        try #require(midSilver, "silver never started: \(running.log.suffix(2000))")
        #expect(try await running.stop(with: SIGKILL, within: 10) != nil)
        let jobID = try #require(try lake.logEntries(event: "task.running", task: "silver.media").first?["job"]?.text)
        #expect(lake.entries(of: lake.staging).contains(jobID), "the kill came after silver")
        #expect(lake.entries(of: lake.silver).isEmpty, "outputs of an unrecorded job are visible: \(lake.entries(of: lake.silver))")

        let (status, report) = try lake.process([try lake.distinctClip("next.mp4")])
        #expect(status == 0)
        let recorded = try lake.query("SELECT id FROM videos").compactMap { $0["id"]?.text }
        #expect(recorded == [report.jobs.first?.videoId].compactMap(\.self))
        #expect(lake.entries(of: lake.silver) == recorded, "silver folders no catalog row points to")
        #expect(lake.entries(of: lake.staging).isEmpty, "staged leftovers: \(lake.entries(of: lake.staging))")
        #expect(try lake.query("SELECT id FROM jobs WHERE id = '\(jobID)'").isEmpty)
    }

    /// The state a crash between gold's commit and its move leaves: the job and video are
    /// recorded, the outputs still staged. The next start moves them where the catalog says.
    @Test func aRecordedJobsStagedOutputsArePublishedOnTheNextStart() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let (status, report) = try lake.process([try lake.distinctClip("first.mp4")])
        #expect(status == 0)
        let job = try #require(report.jobs.first)
        let videoID = try #require(job.videoId)
        let published = lake.silver + "/" + videoID
        let files = lake.entries(of: published)
        #expect(files.contains("qc.json") && files.contains("metadata.json") && files.contains("report.html"), "\(files)")
        try FileManager.default.moveItem(atPath: published, toPath: lake.staging + "/" + job.jobId)

        #expect(try lake.process([try lake.distinctClip("second.mp4")]).status == 0)
        #expect(lake.entries(of: published) == files)
        #expect(lake.entries(of: lake.staging).isEmpty, "\(lake.entries(of: lake.staging))")
        let renditions = try lake.query("SELECT path FROM renditions WHERE video_id = '\(videoID)'").compactMap { $0["path"]?.text }
        #expect(!renditions.isEmpty)
        for path in renditions { #expect(FileManager.default.fileExists(atPath: path), "\(path)") }
    }
}
