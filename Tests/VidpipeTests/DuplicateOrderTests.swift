import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Which of identical files is the original does not depend on which hashes first, and a
/// duplicate keeps the metadata it came with.
@Suite struct DuplicateOrderTests {
    @Test func theFirstFileNamedIsTheOriginalAndEachDuplicateKeepsItsSidecar() throws {
        var lake = try TestLake()
        defer { lake.remove() }
        let original = try lake.distinctClip("copy-0.mp4")
        var files = [original]
        for index in 1...5 {
            let copy = lake.incoming + "/copy-\(index).mp4"
            try FileManager.default.copyItem(atPath: original, toPath: copy)
            files.append(copy)
        }
        for (index, file) in files.enumerated() {
            let sidecar = (file as NSString).deletingPathExtension + ".json"
            try Data(#"{"title": "take \#(index)"}"#.utf8).write(to: URL(fileURLWithPath: sidecar))
        }

        let (status, report) = try lake.process(files)
        #expect(status == 0)
        try #require(report.jobs.count == files.count)
        let first = report.jobs[0]
        #expect(first.state == "succeeded", "\(first)")
        let videoID = try #require(first.videoId)
        for duplicate in report.jobs.dropFirst() {
            #expect(duplicate.state == "duplicate", "\(duplicate)")
            #expect(duplicate.duplicateOf == videoID)
        }
        let rows = try lake.query("SELECT source_path, state, sidecar_json FROM jobs")
        for (index, file) in files.enumerated() {
            let row = try #require(rows.first { $0["source_path"]?.text == file }, "no job for \(file)")
            #expect(row["state"]?.text == (index == 0 ? "succeeded" : "duplicate"))
            let sidecar = try JSONDecoder().decode([String: String].self, from: Data((row["sidecar_json"]?.text ?? "").utf8))
            #expect(sidecar["title"] == "take \(index)")
        }
    }

    /// An empty sidecar is the sidecar's fault, named as such: not an "empty file" that
    /// reads as if the video were empty.
    @Test func anEmptySidecarIsAnInvalidSidecarNamingIt() throws {
        var lake = try TestLake()
        defer { lake.remove() }
        let video = try lake.distinctClip("clip.mp4")
        let sidecar = lake.incoming + "/clip.json"
        _ = FileManager.default.createFile(atPath: sidecar, contents: Data())

        let (status, report) = try lake.process([video])
        #expect(status != 0)
        let job = try #require(report.jobs.first)
        #expect(job.state == "rejected")
        #expect(job.errorCode == "invalid_sidecar")
        #expect(job.message?.hasPrefix(sidecar + ": the metadata sidecar is empty") == true, "\(job.message ?? "")")
        let rows = try lake.query("SELECT error_code FROM jobs")
        #expect(rows.map { $0["error_code"]?.text } == ["invalid_sidecar"])
    }
}
