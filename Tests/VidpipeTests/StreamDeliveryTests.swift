import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// HLS and webhooks together in every mode: embedded (`vidpipe process`, SQLite) and
/// service (`vidpipe run` with Kafka intake and the PostgreSQL catalog), each with the lake
/// on disk and in object storage (SeaweedFS). The ready webhook tells the customer where to
/// play the video: the catalog's master playlist, which must be in the lake and play.
@Suite struct StreamDeliveryTests {
    enum LakeKind: String, CaseIterable, Sendable { case disk, s3 }

    /// One small rung and 1 s segments: a 2 s clip makes a stream of a few segments in a moment.
    static let stream = ["VIDPIPE_RENDITIONS": "240p:240:300:64", "VIDPIPE_SEGMENT_SECONDS": "1"]

    @Test(.enabled(if: S3TestServer.shouldRun, "\(S3TestServer.skipReason)"), arguments: LakeKind.allCases)
    func processTellsTheReceiverWhereToPlayTheVideo(_ kind: LakeKind) throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-delivery")
        defer { scratch.remove() }
        let receiver = try WebhookTests.receiver(scratch, "ready")
        var lake = try TestLake(environment: WebhookTests.environment([receiver]).merging(Self.stream) { _, new in new })
        defer { lake.remove() }
        if kind == .s3 { try lake.moveToBucket(try S3Oracle()) }
        let clip = try lake.distinctClip("clip.mp4", seconds: 2)

        let (status, report) = try lake.process([clip])
        #expect(status == 0, "\(report)")
        let job = try #require(report.jobs.first)
        let master = try #require(try lake.query("SELECT hls_master_path FROM videos").first?["hls_master_path"]?.text)
        #expect(job.hlsMasterPath == master, "process --json names \(job.hlsMasterPath ?? "no stream"), the catalog \(master)")
        try Self.expectPlayableAndAnnounced(master: master, videoID: try #require(job.videoId), lake: lake, source: clip, receiver: receiver)
    }

    @Test(.enabled(if: S3TestServer.shouldRun && KafkaTestBroker.isEnabled && PostgresTestServer.shouldRun && SMTPTestServer.shouldRun,
                   "VIDPIPE_TEST_S3, VIDPIPE_TEST_KAFKA, VIDPIPE_TEST_PG_URI or VIDPIPE_TEST_SMTP is not set"),
          arguments: LakeKind.allCases)
    func runTellsTheReceiverAndTheProcessedTopicWhereToPlayTheVideo(_ kind: LakeKind) async throws {
        let scratch = try ScratchDirectory(prefix: "vidpipe-delivery")
        defer { scratch.remove() }
        let receiver = try WebhookTests.receiver(scratch, "ready")
        let postgres = try TestDatabase.create()
        defer { try? postgres.drop() }
        var service = try ServiceLake(environment: WebhookTests.environment([receiver]).merging(Self.stream) { _, new in new }
            .merging(["PG_CONN_URI": postgres.uri]) { _, new in new })
        defer { service.remove() }
        if kind == .s3 { try service.lake.moveToBucket(try S3Oracle()) }
        let clip = try service.clip("clip.mp4", seconds: 2)
        try service.oracle.produce(service.requests, key: "stream", value: ServiceLake.request(id: "stream", path: clip))

        let daemon = try DaemonProcess(service)
        let events = try await service.oracle.waitForMessages(service.processed, count: 1, within: 120)
        let delivered = try await eventually(within: 60) {
            // No table until the daemon has migrated the new database.
            (try? postgres.psql("SELECT state FROM webhook_deliveries")) == ["delivered"]
        }
        #expect(delivered, "\(daemon.log.suffix(3000))")
        let master = try #require(try postgres.psql("SELECT hls_master_path FROM videos").first)
        let videoID = try #require(try postgres.psql("SELECT id FROM videos").first)
        let event = try #require(events.first)
        #expect(events.map(\.key) == ["stream"])
        #expect(event.json["hls_master_path"]?.text == master, "the processed event: \(event.value)")
        // The request again: answered from the catalog, not run again, with the same place to play.
        try service.oracle.produce(service.requests, key: "stream", value: ServiceLake.request(id: "stream", path: clip))
        let answered = try await service.oracle.waitForMessages(service.processed, count: 2, within: 60)
        #expect(answered.last?.json["hls_master_path"]?.text == master, "the answer from the catalog: \(answered.last?.value ?? "none")")
        #expect(try await daemon.stop(within: 30) == 0)

        #expect(try JSONSchemaOracle.violations(of: Data(event.value.utf8), schema: "processed-event") == [], "\(event.value)")
        try Self.expectPlayableAndAnnounced(master: master, videoID: videoID, lake: service.lake, source: clip, receiver: receiver)
    }

    /// What every mode shows for the one video its lake processed from `source`: the
    /// catalog's master playlist is `hls/master.m3u8` in the video's silver folder of the lake
    /// (a path, or an `s3://` URI); the stream it names (for a bucket, the `hls/` folder as curl
    /// fetches it) decodes end to end in ffmpeg with no message and every frame of the source;
    /// the receiver got exactly one `video.ready`, its signature good, naming the same playlist.
    static func expectPlayableAndAnnounced(master: String, videoID: String, lake: TestLake, source: String, receiver: WebhookReceiver,
                                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let folder = "\(try #require(lake.processEnvironment["VIDPIPE_DATALAKE"]))/silver/\(videoID)/hls"
        #expect(master == folder + "/master.m3u8", "the catalog names \(master)", sourceLocation: sourceLocation)

        var playable = master
        if master.hasPrefix("s3://") {
            let copy = lake.scratch.path("hls-from-the-bucket")
            let fetched = try S3Oracle().downloadFolder(folder, to: copy)
            #expect(fetched.contains("master.m3u8"), "the bucket's \(folder): \(fetched)", sourceLocation: sourceLocation)
            playable = copy + "/master.m3u8"
        }
        let decode = try CommandLineTool.run("ffmpeg", ["-nostdin", "-v", "error", "-i", playable, "-map", "0", "-f", "null", "-"])
        #expect(decode.status == 0 && decode.stderr.isEmpty, "decoding \(master): \(decode.stderr)", sourceLocation: sourceLocation)
        let frames = try CommandLineTool.videoFrameCount(playable), sourceFrames = try CommandLineTool.videoFrameCount(source)
        #expect(frames == sourceFrames, "the stream decodes to \(frames) frames, the source to \(sourceFrames)", sourceLocation: sourceLocation)

        let requests = try receiver.requests()
        #expect(requests.map(\.event) == ["video.ready"], "\(requests)", sourceLocation: sourceLocation)
        let ready = try #require(requests.first, sourceLocation: sourceLocation)
        #expect(ready.signature != nil && ready.refusal == nil && ready.status == 200, "\(ready)", sourceLocation: sourceLocation)
        let body = try JSONDecoder().decode([String: JSONValue].self, from: Data(ready.body.utf8))
        #expect(body["hls_master_path"]?.text == master, "the webhook: \(ready.body)", sourceLocation: sourceLocation)
        #expect(try JSONSchemaOracle.violations(of: Data(ready.body.utf8), schema: "webhook-event") == [], "\(ready.body)",
                sourceLocation: sourceLocation)
    }
}
