import Foundation
import Testing
import VidpipeTestSupport

/// The daemon with its lake in object storage, on all the real services: requests from
/// Kafka, the catalog in PostgreSQL, mail over SMTP, bronze and silver in SeaweedFS.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && PostgresTestServer.shouldRun && SMTPTestServer.shouldRun && S3TestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA, VIDPIPE_TEST_PG_URI, VIDPIPE_TEST_SMTP or VIDPIPE_TEST_S3 is not set"))
struct S3ServiceModeTests {
    @Test func theDaemonWritesEveryOutputToTheBucketAndThePostgresCatalogNamesThem() async throws {
        let postgres = try TestDatabase.create()
        defer { try? postgres.drop() }
        let variables = try S3TestServer.variables()
        let oracle = S3Oracle(variables: variables)
        let bucket = S3TestServer.uniqueBucket("service")
        try oracle.createBucket(bucket)
        var service = try ServiceLake()
        defer { service.remove() }
        service.lake.environment.merge(variables.merging([
            "PG_CONN_URI": postgres.uri, "VIDPIPE_DATALAKE": "s3://\(bucket)/lake", "VIDPIPE_STATE_DIR": service.lake.root,
            "VIDPIPE_SCRATCH": service.lake.scratch.path("scratch"),
        ]) { _, new in new }) { _, new in new }
        let ids = ["s3-1", "s3-2"]
        for id in ids {
            try service.oracle.produce(service.requests, key: id, value: ServiceLake.request(id: id, path: try service.clip("\(id).mp4")))
        }
        let daemon = try DaemonProcess(service)
        _ = try await service.oracle.waitForMessages(service.processed, count: ids.count, within: 90)
        #expect(try await eventually(within: 30) { try service.mails(kind: "ready").count >= ids.count }, "\(daemon.log.suffix(3000))")
        #expect(try await daemon.stop(within: 20) == 0)

        let keys = Set(try oracle.objects(bucket: bucket).map(\.key))
        let videos = try postgres.psql("SELECT id || ' ' || bronze_path FROM videos")
        #expect(videos.count == ids.count, "\(videos)")
        let paths = try postgres.psql("SELECT bronze_path FROM videos UNION ALL SELECT path FROM renditions")
        #expect(paths.count > ids.count)
        for path in paths {
            #expect(path.hasPrefix("s3://\(bucket)/lake/") && keys.contains(String(path.dropFirst("s3://\(bucket)/".count))),
                    "the catalog names \(path), which is not in the bucket")
        }
        for line in videos {
            let videoID = String(line.prefix { $0 != " " })
            #expect(keys.contains("lake/silver/\(videoID)/report.html") && keys.contains("lake/silver/\(videoID)/qc.json"))
        }
        #expect(!keys.contains { $0.hasPrefix("lake/pending/") })
        // The mail's report link names the page's object.
        for mail in try service.mails(kind: "ready") {
            let text = try String(contentsOfFile: mail.path, encoding: .utf8)
            #expect(text.contains("s3://\(bucket)/lake/silver/"), "\(text.prefix(1500))")
        }
    }
}
