import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// `VIDPIPE_MISSING_SIDECAR`: notify mails "missing metadata" and accepts, reject refuses.
@Suite struct MissingSidecarTests {
    @Test func notifyAcceptsAndMailsMissingMetadata() throws {
        let lake = try TestLake(environment: ["VIDPIPE_MISSING_SIDECAR": "notify", "EMAIL_RECEIVER": "team@example.com"])
        defer { lake.remove() }
        let clip = lake.incoming + "/bare.mp4"
        try Clip.good(clip)

        let (status, report) = try lake.process([clip])
        #expect(status == 0)
        let job = try #require(report.jobs.first)
        #expect(job.state == "succeeded")
        let rows = try lake.query("SELECT kind, state, path FROM notifications WHERE job_id = '\(job.jobId)' ORDER BY kind")
        #expect(rows.map { $0["kind"]?.text } == ["missing_metadata", "ready"])
        let mailPath = try #require(rows.first?["path"]?.text)
        let mail = try PythonEmail.parse(mailPath)
        #expect(mail.kind == "missing_metadata")
        #expect(mail.subject.contains("Missing metadata") && mail.subject.contains("bare.mp4"))
        #expect(mail.to == "team@example.com")
    }

    @Test func notifyStaysQuietWhenTheSidecarIsThere() throws {
        let lake = try TestLake(environment: ["VIDPIPE_MISSING_SIDECAR": "notify", "EMAIL_RECEIVER": "team@example.com"])
        defer { lake.remove() }
        let clip = lake.incoming + "/described.mp4"
        try Clip.good(clip)
        try Data(#"{"camera": "A"}"#.utf8).write(to: URL(fileURLWithPath: clip + ".json"))
        let (status, _) = try lake.process([clip])
        #expect(status == 0)
        #expect(try lake.query("SELECT kind FROM notifications").map { $0["kind"]?.text } == ["ready"])
    }

    @Test func rejectRefusesAVideoWithoutSidecar() throws {
        let lake = try TestLake(environment: ["VIDPIPE_MISSING_SIDECAR": "reject"])
        defer { lake.remove() }
        let clip = lake.incoming + "/bare.mp4"
        try Clip.good(clip)

        let (status, report) = try lake.process([clip])
        #expect(status == 1)
        #expect(report.jobs.first?.errorCode == "missing_sidecar")
        #expect(report.jobs.first?.state == "rejected")
        let rows = try lake.query("SELECT state, error_code FROM jobs")
        #expect(rows.first?["state"]?.text == "rejected")
        #expect(rows.first?["error_code"]?.text == "missing_sidecar")
        #expect(try lake.query("SELECT id FROM videos").isEmpty)
    }
}
