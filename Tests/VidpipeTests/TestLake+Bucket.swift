import Foundation
import VidpipeTestSupport

extension TestLake {
    /// Puts the lake's bronze and silver in a new bucket of the test store, under
    /// `s3://<bucket>/lake`; the catalog, logs, inbox and scratch space stay in the lake's
    /// local folder.
    ///
    /// - Returns: the bucket.
    @discardableResult
    mutating func moveToBucket(_ store: S3Oracle, bucket: String = S3TestServer.uniqueBucket("lake")) throws -> String {
        try store.createBucket(bucket)
        environment.merge(store.variables.merging([
            "VIDPIPE_DATALAKE": "s3://\(bucket)/lake", "VIDPIPE_STATE_DIR": root,
            "VIDPIPE_SCRATCH": scratch.path("scratch"), "VIDPIPE_CATALOG": catalog,
        ]) { _, new in new }) { _, new in new }
        return bucket
    }
}
