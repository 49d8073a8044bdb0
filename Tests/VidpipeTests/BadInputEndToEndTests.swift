import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Inputs `vidpipe process` must reject, each with its own error code, named after its defect.
enum BadInput: String, CaseIterable, CustomTestStringConvertible {
    case zeroByteFile, truncatedMoovAtEnd, truncatedMoovAtFront, randomBytesNamedMp4, textFile, directory,
         missingPath, zeroStreamMp4, malformedSidecar

    var testDescription: String { rawValue }

    /// The code a user would see in `--json`, the catalog and the job log.
    var expectedCode: String {
        switch self {
        case .zeroByteFile: "empty_file"
        case .truncatedMoovAtEnd: "missing_movie_index"
        case .truncatedMoovAtFront: "truncated"
        case .randomBytesNamedMp4: "unrecognized_format"
        case .textFile: "text_file"
        case .directory: "not_regular_file"
        case .missingPath: "file_not_found"
        case .zeroStreamMp4: "no_streams"
        case .malformedSidecar: "invalid_sidecar"
        }
    }

    /// Creates the input in `folder`; returns the path to hand to vidpipe.
    func make(in folder: String) throws -> String {
        let path = folder + "/" + rawValue + (self == .textFile ? ".txt" : self == .directory ? "" : ".mp4")
        switch self {
        case .zeroByteFile: _ = FileManager.default.createFile(atPath: path, contents: Data())
        case .truncatedMoovAtEnd: try Clip.truncated(path, moovAtFront: false)
        case .truncatedMoovAtFront: try Clip.truncated(path, moovAtFront: true)
        case .randomBytesNamedMp4: try Clip.noise(path, count: 65_536)
        case .textFile: try Data(String(repeating: "meeting notes, not a video\n", count: 100).utf8).write(to: URL(fileURLWithPath: path))
        case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        case .missingPath: break
        case .zeroStreamMp4: try Clip.zeroStreams(path)
        case .malformedSidecar:
            try Clip.good(path)
            try Data(#"{"title": "unterminated"#.utf8).write(to: URL(fileURLWithPath: folder + "/" + rawValue + ".json"))
        }
        return path
    }
}

@Suite struct BadInputEndToEndTests {
    @Test(arguments: BadInput.allCases)
    func badInputIsRejectedAndRecorded(_ input: BadInput) throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let path = try input.make(in: lake.incoming)

        let (status, report) = try lake.process([path])
        #expect(status == 1)
        let job = try #require(report.jobs.first)
        #expect(job.errorCode == input.expectedCode, "\(job.message ?? "")")
        #expect(job.state == "rejected")
        #expect(job.recorded)

        let rows = try lake.query("SELECT state, error_code, source_path FROM jobs WHERE id = '\(job.jobId)'")
        #expect(rows.count == 1)
        #expect(rows.first?["state"]?.text == "rejected")
        #expect(rows.first?["error_code"]?.text == input.expectedCode)
        #expect(rows.first?["source_path"]?.text == path)
        #expect(try lake.query("SELECT id FROM videos").isEmpty)

        let finished = try lake.logEntries(job.logPath).filter { $0["event"]?.text == "job.finished" }
        #expect(finished.count == 1)
        #expect(finished.first?["error_code"]?.text == input.expectedCode)
    }

    @Test func everyBadInputInOneCallGetsItsOwnCodeAndLosesNothing() throws {
        #expect(Set(BadInput.allCases.map(\.expectedCode)).count == BadInput.allCases.count)
        let lake = try TestLake()
        defer { lake.remove() }
        let good = lake.incoming + "/good.mp4"
        try Clip.good(good)
        let first = try lake.process([good])
        #expect(first.status == 0)
        let videoID = try #require(first.report.jobs.first?.videoId)

        let paths = try BadInput.allCases.map { try $0.make(in: lake.incoming) }
        let (status, report) = try lake.process(paths)
        #expect(status == 1)
        #expect(report.rejected == BadInput.allCases.count && report.accepted == 0)
        let codes = report.jobs.map { $0.errorCode ?? "none" }
        #expect(codes == BadInput.allCases.map(\.expectedCode))
        #expect(Set(codes).count == codes.count, "codes are pairwise distinct")

        // The good clip's rows survive the bad batch untouched.
        let videos = try lake.query("SELECT id, original_name FROM videos")
        #expect(videos.count == 1)
        #expect(videos.first?["id"]?.text == videoID)
        #expect(videos.first?["original_name"]?.text == "good.mp4")
        #expect(try lake.query("SELECT idx FROM streams WHERE video_id = '\(videoID)'").count == 2)
        let states = try lake.query("SELECT state, count(*) AS n FROM jobs GROUP BY state ORDER BY state")
        #expect(states.map { "\($0["state"]?.text ?? "")=\(Int($0["n"]?.number ?? 0))" } == ["rejected=\(BadInput.allCases.count)", "succeeded=1"])
    }
}
