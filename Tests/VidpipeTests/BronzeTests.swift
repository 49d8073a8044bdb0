import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Checksums, content-addressed staging and deduplication, checked against `sha256sum` and the catalog.
@Suite struct BronzeTests {
    @Test func checksumMatchesSha256sum() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let clip = scratch.path("clip.mp4")
        try Clip.good(clip)
        // Over 4 MiB and not a multiple of the chunk size, so the last read is partial.
        let large = scratch.path("large.bin")
        try Clip.noise(large, count: (4 << 20) * 2 + 12_345)

        for path in [clip, large] {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            let (hash, bytes) = try ContentHasher.sha256(path: path, expectedSize: Int64(size))
            #expect(hash.hex == (try CommandLineTool.sha256sum(path)))
            #expect(bytes == Int64(size))
        }
    }

    @Test func checksumNoticesASizeChange() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("growing.bin")
        try Clip.noise(path, count: 1000)
        #expect { try ContentHasher.sha256(path: path, expectedSize: 999) } throws: { error in
            (error as? IngestError)?.code == .fileChanged
        }
    }

    @Test func stagingStoresTheContentUnderItsHash() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let clip = lake.incoming + "/clip.mp4"
        try Clip.good(clip)
        let expected = try CommandLineTool.sha256sum(clip)

        let (status, report) = try lake.process([clip])
        #expect(status == 0)
        #expect(report.jobs.first?.sha256 == expected)
        let folder = "\(lake.root)/bronze/sha256/\(expected.prefix(2))/\(expected)"
        #expect(try CommandLineTool.sha256sum(folder + "/source.mp4") == expected)
        let probe = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/probe.json"))) as? [String: Any]
        #expect((probe?["streams"] as? [Any])?.count == 2)
        // No temporary leftovers beside the object.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["probe.json", "source.mp4"])

        let video = try lake.query("SELECT content_sha256, bronze_path FROM videos")
        #expect(video.first?["content_sha256"]?.text == expected)
        #expect(video.first?["bronze_path"]?.text == folder + "/source.mp4")
    }

    @Test func sameContentProcessedTwiceIsOneVideo() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let first = lake.incoming + "/first.mp4"
        let second = lake.incoming + "/second_name.mp4"
        try Clip.good(first)
        try FileManager.default.copyItem(atPath: first, toPath: second)

        let one = try lake.process([first])
        #expect(one.status == 0)
        let videoID = try #require(one.report.jobs.first?.videoId)
        let two = try lake.process([second])
        #expect(two.status == 0, "a duplicate is accepted")
        #expect(two.report.jobs.first?.state == "duplicate")
        #expect(two.report.jobs.first?.duplicateOf == videoID)

        #expect(try lake.query("SELECT id FROM videos").map { $0["id"]?.text } == [videoID])
        let jobs = try lake.query("SELECT state, duplicate_of, video_id FROM jobs WHERE source_path = '\(second)'")
        #expect(jobs.count == 1)
        #expect(jobs.first?["state"]?.text == "duplicate")
        #expect(jobs.first?["duplicate_of"]?.text == videoID)
    }

    @Test func identicalFilesInOneCallAreOneVideo() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let names = ["a.mp4", "b.mp4", "c.mp4"].map { lake.incoming + "/" + $0 }
        try Clip.good(names[0])
        for name in names.dropFirst() { try FileManager.default.copyItem(atPath: names[0], toPath: name) }

        let (status, report) = try lake.process(names)
        #expect(status == 0)
        let states = report.jobs.map(\.state).sorted()
        #expect(states == ["duplicate", "duplicate", "succeeded"])
        let original = try #require(report.jobs.first { $0.state == "succeeded" }?.videoId)
        #expect(report.jobs.filter { $0.state == "duplicate" }.allSatisfy { $0.duplicateOf == original })
        #expect(try lake.query("SELECT id FROM videos").count == 1)
    }
}
