import Foundation
import Testing
import VidpipeTestSupport

/// Every JSON document the CLI and the silver stage write, made for real and checked
/// against its schema in docs/schemas by Python's jsonschema. The schemas forbid keys
/// they do not list, so a camelCase key or a finding as a sentence fails here. (Kafka
/// events and dead letters are checked in ServiceModeTests, where the daemon writes them.)
@Suite struct JSONSchemaTests {
    @Test func everyDocumentMatchesItsSchema() throws {
        let lake = try TestLake(environment: ["VIDPIPE_MISSING_SIDECAR": "ignore", "VIDPIPE_RENDITIONS": "240p:240:300:64"])
        defer { lake.remove() }
        let clip = lake.incoming + "/black_middle.mp4"
        try SilverEndToEndTests.clipWithBlackMiddle(clip)
        let bad = lake.incoming + "/notes.mp4"
        try Data("not a video\n".utf8).write(to: URL(fileURLWithPath: bad))
        let copy = lake.incoming + "/copy.mp4"
        try FileManager.default.copyItem(atPath: clip, toPath: copy)

        let process = try lake.vidpipe(["process", "--json", clip, bad, copy])
        #expect(process.status == 1)
        try expectValid(process.stdout, "process-report")
        let report = try JSONDecoder.snakeCase.decode(ProcessReport.self, from: process.stdout)
        let job = try #require(report.jobs.first)
        let rejected = try #require(report.jobs.dropFirst().first)
        let videoID = try #require(job.videoId)
        let outcome = try #require((try JSONSerialization.jsonObject(with: process.stdout) as? [String: Any])?["jobs"] as? [[String: Any]]).first
        #expect(outcome?["loudness"] is [String: Any] && outcome?["decode"] is [String: Any], "\(outcome ?? [:])")
        #expect((outcome?["renditions"] as? [Any])?.count == 1)
        #expect((outcome?["findings"] as? [[String: Any]])?.contains { $0["kind"] as? String == "qc.black" && $0["start_seconds"] is Double } == true)

        let silver = lake.root + "/silver/" + videoID
        try expectValid(try Data(contentsOf: URL(fileURLWithPath: silver + "/qc.json")), "qc")
        try expectValid(try Data(contentsOf: URL(fileURLWithPath: silver + "/metadata.json")), "metadata")
        try expectValid(try lake.vidpipe(["probe", "--json", clip]).stdout, "probe")
        try expectValid(try lake.vidpipe(["status", "--json"]).stdout, "status")
        try expectValid(try lake.vidpipe(["status", "--json", job.jobId]).stdout, "status-job")
        try expectValid(try lake.vidpipe(["jobs", "--json"]).stdout, "jobs")
        try expectValid(try lake.vidpipe(["show", "--json", job.sha256 ?? ""]).stdout, "show")
        try expectValid(try lake.vidpipe(["show", "--json", rejected.jobId]).stdout, "show")
        try Clip.good(bad)
        let retry = try lake.vidpipe(["retry", "--json", rejected.jobId])
        #expect(retry.status == 0, "\(retry.stderr)")
        try expectValid(retry.stdout, "retry")
    }

    private func expectValid(_ document: Data, _ schema: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(!document.isEmpty, "no \(schema) document", sourceLocation: sourceLocation)
        let violations = try JSONSchemaOracle.violations(of: document, schema: schema)
        #expect(violations == [], "\(schema): \(String(decoding: document.prefix(3000), as: UTF8.self))", sourceLocation: sourceLocation)
    }
}
