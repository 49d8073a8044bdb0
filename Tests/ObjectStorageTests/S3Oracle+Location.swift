import ObjectStorage
import VidpipeTestSupport

/// The shared curl oracle addressed by the client's own ``S3Location``s.
extension S3Oracle {
    func url(_ location: S3Location) -> String {
        url(bucket: location.bucket, key: location.key)
    }

    func headStatus(_ location: S3Location) throws -> Int {
        try headStatus(bucket: location.bucket, key: location.key)
    }

    func uploadedParts(_ location: S3Location, uploadID: String) throws -> [String] {
        try uploadedParts(bucket: location.bucket, key: location.key, uploadID: uploadID)
    }

    func sha256(_ location: S3Location) throws -> String {
        try sha256(bucket: location.bucket, key: location.key)
    }
}
