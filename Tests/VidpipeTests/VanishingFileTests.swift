import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// A source deleted while its job runs: silver decodes the object bronze staged (a hard
/// link or a copy), so once staged the job finishes from the lake's copy and loses nothing.
@Suite struct VanishingFileTests {
    @Test func fileDeletedDuringSilverIsFinishedFromTheStagedCopy() async throws {
        let lake = try TestLake(environment: ["VIDPIPE_RENDITIONS": "360p:360:800:96"])
        defer { lake.remove() }
        let clip = lake.incoming + "/vanishing.mp4"
        try Clip.make("good", clip, seconds: 6, size: "640x360")
        let sha256 = try CommandLineTool.sha256sum(clip)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try VidpipeBinary.path())
        process.arguments = ["process", "--json", clip]
        process.environment = lake.processEnvironment
        process.currentDirectoryURL = lake.scratch.url
        // Output to a file: Foundation's pipe reads can crash on EINTR.
        let reportPath = lake.scratch.path("report.json")
        _ = FileManager.default.createFile(atPath: reportPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: reportPath))
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Delete the source once bronze has staged it, before the job ends.
        let decoding = try await eventually(within: 60, every: .milliseconds(10)) {
            Self.jobLog(in: lake).split(separator: "\n").contains {
                $0.contains(#""task.succeeded""#) && $0.contains(#""task":"bronze.stage""#)
            }
        }
        let finishedBeforeDeletion = Self.jobLog(in: lake).contains("job.finished")
        try FileManager.default.removeItem(atPath: clip)
        try await waitUntil("vidpipe process to exit", timeout: .seconds(120)) { !process.isRunning }
        let output = try Data(contentsOf: URL(fileURLWithPath: reportPath))
        #expect(decoding && !finishedBeforeDeletion, "the job was not caught mid-silver")

        #expect(process.terminationStatus == 0)
        let report = try JSONDecoder.snakeCase.decode(ProcessReport.self, from: output)
        let job = try #require(report.jobs.first)
        #expect(job.state == "succeeded" && job.sha256 == sha256, "\(job.state) \(job.message ?? "")")
        let video = try #require(try lake.query("SELECT bronze_path, content_sha256 FROM videos").first)
        #expect(video["content_sha256"]?.text == sha256)
        let staged = try #require(video["bronze_path"]?.text)
        #expect(try CommandLineTool.sha256sum(staged) == sha256, "the staged copy is the whole file")
        #expect(try lake.query("SELECT name FROM renditions WHERE video_id = '\(job.videoId ?? "")'").count == 1)
    }

    /// Every job log line written so far (this lake runs one job).
    private static func jobLog(in lake: TestLake) -> String {
        let logs = lake.root + "/logs"
        let walker = FileManager.default.enumerator(atPath: logs)
        var text = ""
        while let relative = walker?.nextObject() as? String {
            guard relative.hasSuffix(".jsonl") else { continue }
            text += (try? String(contentsOfFile: logs + "/" + relative, encoding: .utf8)) ?? ""
        }
        return text
    }
}
