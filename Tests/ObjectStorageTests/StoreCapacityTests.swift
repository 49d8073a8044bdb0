import Foundation
import Testing
import VidpipeTestSupport

/// The test store must last a whole CI run in which many suites make a bucket per test.
/// Every bucket is a SeaweedFS collection with volumes of its own; with weed's default
/// growth (7 volumes per collection) `scripts/services/s3`'s store ran out after 28 buckets
/// ("No writable volumes", a 500 on the first PUT). Checked on a store of this suite's own,
/// so the shared one keeps its volumes for the other tests. Oracle: the curl CLI.
@Suite(.enabled(if: S3TestServer.shouldRun, Comment(rawValue: S3TestServer.skipReason)))
struct StoreCapacityTests {
    @Test func eightyBucketsEachTakeAnObject() throws {
        // 110 above the shared store's port: clear of it and of S3StoreOutageTests' (+100).
        let shared = try S3TestServer.variables()["AWS_ENDPOINT_URL"].flatMap { URL(string: $0)?.port } ?? 18333
        let store = try PrivateS3Store(port: shared + 110)
        defer { store.stop() }
        let oracle = S3Oracle(variables: store.variables)
        var failures: [String] = []
        for index in 1...80 {
            let bucket = S3TestServer.uniqueBucket("capacity-\(index)")
            do {
                try oracle.createBucket(bucket)
                try oracle.put(text: "object \(index)", bucket: bucket, key: "object.txt")
                if try oracle.objects(bucket: bucket).map({ "\($0.key) \($0.size)" }) != ["object.txt \("object \(index)".utf8.count)"] {
                    failures.append("\(bucket): the listing does not show the object")
                }
            } catch {
                failures.append("bucket \(index) (\(bucket)): \(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of 80 buckets failed; the first: \(failures.first ?? "")")
    }
}
