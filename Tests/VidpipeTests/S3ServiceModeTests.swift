import Foundation
import Testing
import VidpipeTestSupport

/// The daemon with its lake in object storage, on all the real services: requests from
/// Kafka, the catalog in PostgreSQL, mail over SMTP, bronze and silver in SeaweedFS.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && PostgresTestServer.shouldRun && SMTPTestServer.shouldRun && S3TestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA, VIDPIPE_TEST_PG_URI, VIDPIPE_TEST_SMTP or VIDPIPE_TEST_S3 is not set"))
struct S3ServiceModeTests {
    /// A service lake whose catalog is a fresh PostgreSQL database and whose lake is
    /// `s3://<bucket>/lake` in a new bucket of the shared store.
    struct ServiceOnBucket {
        var service: ServiceLake
        let postgres: TestDatabase
        let store: S3Oracle
        let bucket: String

        init(_ extra: [String: String] = [:]) throws {
            postgres = try TestDatabase.create()
            store = S3Oracle(variables: try S3TestServer.variables())
            service = try ServiceLake()
            bucket = try service.lake.moveToBucket(store, bucket: S3TestServer.uniqueBucket("service"))
            service.lake.environment.merge(["PG_CONN_URI": postgres.uri].merging(extra) { _, new in new }) { _, new in new }
        }

        func remove() {
            service.remove()
            try? postgres.drop()
        }
    }

    @Test func theDaemonWritesEveryOutputToTheBucketAndThePostgresCatalogNamesThem() async throws {
        let setup = try ServiceOnBucket()
        defer { setup.remove() }
        let (service, postgres, oracle, bucket) = (setup.service, setup.postgres, setup.store, setup.bucket)
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

    /// Kafka requests naming `s3://bucket/key` sources: the one inside the allowed root
    /// `s3://<bucket>/in` is fetched, hashed, recorded in PostgreSQL under its URI, announced
    /// on the processed topic and mailed; the one under the sibling prefix `in-other/` (an
    /// object that exists) is recorded as rejected with `outside_allowed_roots` and
    /// dead-lettered, and nothing of it reaches bronze. Oracles: psql, curl + sha256sum, the
    /// independent Kafka client, the Maildir read by Python's `email`.
    @Test func kafkaRequestsNamingObjectsAreFetchedOrConfinedToTheObjectRoots() async throws {
        var setup = try ServiceOnBucket()
        defer { setup.remove() }
        let bucket = setup.bucket
        setup.service.lake.environment["VIDPIPE_ALLOWED_ROOTS"] = "s3://\(bucket)/in"
        let (service, postgres, store) = (setup.service, setup.postgres, setup.store)
        let clip = try service.clip("object.mp4")
        let inside = "s3://\(bucket)/in/object.mp4", outside = "s3://\(bucket)/in-other/object.mp4"
        try store.put(clip, bucket: bucket, key: "in/object.mp4")
        try store.put(clip, bucket: bucket, key: "in-other/object.mp4")
        try service.oracle.produce(service.requests, key: "inside", value: ServiceLake.request(id: "inside", path: inside))
        try service.oracle.produce(service.requests, key: "outside", value: ServiceLake.request(id: "outside", path: outside))

        let daemon = try DaemonProcess(service)
        let processed = try await service.oracle.waitForMessages(service.processed, count: 1, within: 90)
        let letters = try await service.oracle.waitForMessages(service.deadLetter, count: 1, within: 30)
        #expect(try await eventually(within: 30) { try service.mails(kind: "ready").count + service.mails(kind: "rejected").count >= 2 },
                "\(daemon.log.suffix(3000))")
        #expect(try await daemon.stop(within: 20) == 0)

        // The object's bytes as curl fetches them, hashed by sha256sum.
        let sha256 = try store.sha256(bucket: bucket, key: "in/object.mp4")
        let jobs = try postgres.psql("SELECT request_id || ' ' || state || ' ' || coalesce(error_code, '-') || ' ' || source_path FROM jobs ORDER BY request_id")
        #expect(jobs == ["inside succeeded - \(inside)", "outside rejected outside_allowed_roots \(outside)"], "\(daemon.log.suffix(3000))")
        let videos = try postgres.psql("SELECT content_sha256 || ' ' || source_path || ' ' || original_name FROM videos")
        #expect(videos == ["\(sha256) \(inside) object.mp4"])
        // Bronze holds the inside object's bytes under their hash, and nothing else's.
        let bronze = try store.objects(bucket: bucket, prefix: "lake/bronze/").map(\.key).filter { $0.contains("/source.") }
        #expect(bronze == ["lake/bronze/sha256/\(sha256.prefix(2))/\(sha256)/source.mp4"], "\(bronze)")

        #expect(processed.map(\.key) == ["inside"], "\(processed.map(\.value))")
        let event = try #require(processed.first).json
        #expect(event["state"]?.text == "succeeded" && event["path"]?.text == inside && event["sha256"]?.text == sha256, "\(event)")
        #expect(letters.map(\.key) == ["outside"], "\(letters.map(\.value))")
        let letter = try #require(letters.first)
        #expect(letter.json["error_code"]?.text == "outside_allowed_roots" && letter.json["request_id"]?.text == "outside", "\(letter.value)")
        #expect(letter.json["reason"]?.text?.contains("s3://\(bucket)/in") == true, "\(letter.value)")
        #expect(letter.headers.last == ["vidpipe-error-code", "outside_allowed_roots"], "\(letter.headers)")

        // One mail each, naming the s3:// source; the rejection says why.
        expectDelivered(try service.mails(kind: "ready"), ServiceLake.once(["inside"], kind: "ready"))
        expectDelivered(try service.mails(kind: "rejected"), ServiceLake.once(["outside"], kind: "rejected"))
        let ready = try PythonEmail.parse(try #require(try service.mails(kind: "ready").first).path)
        #expect(ready.text.contains(inside), "\(ready.text)")
        let rejected = try PythonEmail.parse(try #require(try service.mails(kind: "rejected").first).path)
        #expect(rejected.text.contains(outside) && rejected.text.contains("outside_allowed_roots"), "\(rejected.text)")
    }
}
