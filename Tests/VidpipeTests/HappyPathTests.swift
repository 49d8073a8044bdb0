import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// A good clip through `vidpipe process`, checked against ffprobe, sqlite3 and Python's email parser.
@Suite struct HappyPathTests {
    @Test func goodClipIsAcceptedRecordedAndAnnounced() throws {
        let lake = try TestLake(environment: ["EMAIL_RECEIVER": "a@example.com"])
        defer { lake.remove() }
        let clip = lake.incoming + "/holiday_clip.mp4"
        try Clip.good(clip, seconds: 2)
        try Data(#"{"title": "Holiday"}"#.utf8).write(to: URL(fileURLWithPath: lake.incoming + "/holiday_clip.json"))
        let oracle = try CommandLineTool.ffprobe(clip)

        let (status, report) = try lake.process([clip])
        #expect(status == 0)
        let job = try #require(report.jobs.first)
        #expect(job.state == "succeeded")
        #expect(job.verdict == "pass")
        #expect(job.errorCode == nil)
        let videoID = try #require(job.videoId)

        let video = try #require(try lake.query("SELECT * FROM videos WHERE id = '\(videoID)'").first)
        let oracleVideo = try #require(oracle.streams?.first { $0.codecType == "video" })
        #expect(video["width"]?.number == oracleVideo.width.map(Double.init))
        #expect(video["height"]?.number == oracleVideo.height.map(Double.init))
        let duration = try #require(video["duration_seconds"]?.number)
        let oracleDuration = try #require(oracle.format.duration.flatMap(Double.init))
        #expect(abs(duration - oracleDuration) < 0.001)
        #expect(video["original_name"]?.text == "holiday_clip.mp4")
        #expect(video["sidecar_json"]?.text == #"{"title":"Holiday"}"#)
        let streams = try lake.query("SELECT kind FROM streams WHERE video_id = '\(videoID)' ORDER BY idx")
        #expect(streams.map { $0["kind"]?.text } == (oracle.streams ?? []).map(\.codecType))

        // The mail, read by an independent parser.
        let sent = try lake.query("SELECT kind, state, path FROM notifications WHERE job_id = '\(job.jobId)'")
        #expect(sent.map { $0["kind"]?.text } == ["ready"])
        #expect(sent.first?["state"]?.text == "sent")
        let emls = try FileManager.default.contentsOfDirectory(atPath: lake.outbox).filter { $0.hasSuffix(".eml") }
        #expect(emls.count == 1)
        let mail = try PythonEmail.parse(lake.outbox + "/" + (emls.first ?? ""))
        #expect(mail.subject.contains("holiday_clip.mp4"))
        #expect(mail.messageID.hasPrefix("<") && mail.messageID.hasSuffix(">"))
        #expect(mail.to == "a@example.com")
        #expect(mail.defects.isEmpty)

        // `status` finds the job by its id.
        let status2 = try lake.vidpipe(["status", job.jobId, "--json"])
        #expect(status2.status == 0)
        let detail = try JSONSerialization.jsonObject(with: status2.stdout) as? [String: Any]
        #expect((detail?["job"] as? [String: Any])?["id"] as? String == job.jobId)

        // Every task of the job DAG ran and succeeded once.
        let outline = try lake.vidpipe(["dag", "--layer", "job", "--format", "text"])
        #expect(outline.status == 0)
        let tasks = Self.taskNames(inOutline: outline.text)
        #expect(["bronze.probe", "silver.media", "gold.notify"].allSatisfy(tasks.contains), "\(outline.text)")
        let runs = try lake.query("SELECT task FROM task_runs WHERE job_id = '\(job.jobId)' AND state = 'succeeded'")
        #expect(runs.compactMap { $0["task"]?.text }.sorted() == tasks.sorted())
    }

    /// `  3. bronze.checksum(file) -> sha256: ContentHash  [cpuHeavy]` → `bronze.checksum`.
    static func taskNames(inOutline text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let trimmed = line.drop { $0 == " " }
            guard let dot = trimmed.firstIndex(of: "."), trimmed[..<dot].allSatisfy(\.isNumber), !trimmed[..<dot].isEmpty,
                  let paren = trimmed.firstIndex(of: "(") else { return nil }
            return String(trimmed[trimmed.index(dot, offsetBy: 2)..<paren])
        }
    }
}

/// What Python's standard `email` package reads from an `.eml`: an oracle independent of vidpipe's encoder.
struct PythonEmail: Decodable {
    var subject: String
    var messageID: String
    var to: String
    var kind: String?
    var defects: [String]
    /// The decoded text/plain part.
    var text: String
    /// The decoded text/html part.
    var html: String

    private static let script = #"""
    import email, email.policy, json, sys
    msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
    print(json.dumps({
        "subject": str(msg["subject"]), "messageID": str(msg["message-id"]),
        "to": ", ".join(a.addr_spec for a in msg["to"].addresses), "kind": msg["x-vidpipe-kind"],
        "defects": [repr(d) for part in msg.walk() for d in part.defects],
        "text": msg.get_body(preferencelist=("plain",)).get_content(),
        "html": msg.get_body(preferencelist=("html",)).get_content(),
    }))
    """#

    static func parse(_ path: String) throws -> PythonEmail {
        let result = try CommandLineTool.checked("python3", ["-c", script, path])
        return try JSONDecoder().decode(PythonEmail.self, from: result.stdout)
    }
}
