import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Paths that are not regular files: a FIFO nobody writes to (opening it for reading would
/// block forever), a character device inside the allowed root, and `/dev/zero` (endless
/// bytes). Each is rejected as `not_regular_file` at once, never read.
enum SpecialFile: String, CaseIterable, CustomTestStringConvertible {
    case fifo, deviceNode, devZero

    var testDescription: String { rawValue }

    /// Creates it in `folder` (the device node with `mknod`, as root); returns its path.
    func make(in folder: String) throws -> String {
        switch self {
        case .fifo:
            try CommandLineTool.checked("mkfifo", [folder + "/pipe.mp4"])
            return folder + "/pipe.mp4"
        case .deviceNode:
            // The kernel's /dev/zero (character device 1:5) under a video's name.
            try CommandLineTool.checked("mknod", [folder + "/zero.mp4", "c", "1", "5"])
            return folder + "/zero.mp4"
        case .devZero:
            return "/dev/zero"
        }
    }

    /// What the error message says the path is.
    var described: String { self == .fifo ? "FIFO" : "device" }
}

@Suite struct SpecialFileTests {
    /// An upper bound for a run that rejects one path; a blocked read would never end.
    static let limitSeconds = "120"

    @Test(arguments: SpecialFile.allCases)
    func processRejectsItWithoutReading(_ special: SpecialFile) throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let path = try special.make(in: lake.incoming)
        // Run under timeout(1): a vidpipe blocked on the FIFO is killed (status 137) rather
        // than hanging the suite.
        let result = try CommandLineTool.run("/usr/bin/timeout", ["-s", "KILL", Self.limitSeconds, try VidpipeBinary.path(),
                                                                  "process", "--json", path],
                                             environment: lake.processEnvironment, in: lake.scratch.url)
        #expect(result.status == 1, "status \(result.status) (137: killed by the time limit): \(result.stderr)")
        let report = try JSONDecoder.snakeCase.decode(ProcessReport.self, from: result.stdout)
        let job = try #require(report.jobs.first)
        #expect(job.errorCode == "not_regular_file", "\(job.message ?? "")")
        #expect(job.message?.contains(special.described) == true && job.message?.contains(path) == true, "\(job.message ?? "")")
        let rows = try lake.query("SELECT state, error_code FROM jobs")
        #expect(rows.map { "\($0["state"]?.text ?? "")/\($0["error_code"]?.text ?? "")" } == ["rejected/not_regular_file"])
    }

    /// Through the inbox daemon (confined to the allowed root): each special file is
    /// recorded as rejected and the good request after them still runs.
    @Test func daemonRejectsThemAndCarriesOn() async throws {
        let lake = try TestLake(environment: ["VIDPIPE_INBOX_POLL_SECONDS": "0.2", "VIDPIPE_MISSING_SIDECAR": "ignore"])
        defer { lake.remove() }
        try FileManager.default.createDirectory(atPath: lake.inbox, withIntermediateDirectories: true)
        let good = lake.incoming + "/good.mp4"
        try Clip.good(good)
        let inside = [SpecialFile.fifo, .deviceNode]
        for special in inside {
            try Self.queue(id: special.rawValue, path: try special.make(in: lake.incoming), in: lake)
        }
        try Self.queue(id: "good", path: good, in: lake)
        let daemon = try DaemonProcess(lake)
        let recorded = try await eventually(within: 60) { try lake.catalogRows("SELECT id FROM jobs").count == inside.count + 1 }
        #expect(recorded, "\(daemon.log)")
        #expect(try await daemon.stop(within: 20) == 0)
        let rows = try lake.query("SELECT request_id, state, error_code FROM jobs ORDER BY request_id")
        #expect(rows.map { "\($0["request_id"]?.text ?? "") \($0["state"]?.text ?? "") \($0["error_code"]?.text ?? "-")" }
                == ["deviceNode rejected not_regular_file", "fifo rejected not_regular_file", "good succeeded -"])
    }

    private static func queue(id: String, path: String, in lake: TestLake) throws {
        let request = #"{"schema_version": 1, "request_id": "\#(id)", "path": "\#(path)", "submitted_at": "2026-01-01T00:00:00Z"}"#
        try Data(request.utf8).write(to: URL(fileURLWithPath: "\(lake.inbox)/\(id).json"))
    }
}
