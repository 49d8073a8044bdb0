import Foundation
import ObjectStorage
import VidpipeTestSupport

/// What the store holds, as the curl CLI sees it with its own SigV4 signing: the oracle the
/// client's tests check it against.
struct CurlS3Oracle {
    let variables: [String: String]

    /// The object's URL, path-style, its key percent-encoded.
    func url(_ location: S3Location) -> String {
        let key = location.key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))) ?? location.key
        return "\(variables["AWS_ENDPOINT_URL"]!)/\(location.bucket)/\(key)"
    }

    /// Runs curl with the store's credentials; throws unless it got a 2xx.
    @discardableResult
    func curl(_ arguments: [String]) throws -> String {
        try CommandLineTool.checked("curl", signing + ["-f"] + arguments).text
    }

    /// The HTTP status of a HEAD of the object (404 when there is none).
    func headStatus(_ location: S3Location) throws -> Int {
        Int(try CommandLineTool.checked("curl", signing + ["-I", "-o", "/dev/null", "-w", "%{http_code}", url(location)]).text) ?? 0
    }

    /// Keys listed under the bucket (ListObjectsV2, first page).
    func listedKeys(_ bucket: String) throws -> [String] {
        try values("Key", in: curl([url(S3Location(bucket: bucket, key: "")) + "?list-type=2"]))
    }

    /// Ids of the multipart uploads open in the bucket (ListMultipartUploads).
    func openUploads(_ bucket: String) throws -> [String] {
        try values("UploadId", in: curl([url(S3Location(bucket: bucket, key: "")) + "?uploads="]))
    }

    /// Part numbers the store holds for an open upload (ListParts).
    func uploadedParts(_ location: S3Location, uploadID: String) throws -> [String] {
        // Unreserved characters stay as they are: curl signs the query as written, SigV4 as canonical.
        let id = uploadID.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "-._~").union(.alphanumerics)) ?? uploadID
        return try values("PartNumber", in: curl([url(location) + "?uploadId=" + id]))
    }

    /// SHA-256 of the object as curl fetches it.
    func sha256(_ location: S3Location, scratch: ScratchDirectory) throws -> String {
        let fetched = scratch.path("curl-\(UUID().uuidString).bin")
        try curl(["-o", fetched, url(location)])
        defer { try? FileManager.default.removeItem(atPath: fetched) }
        return try CommandLineTool.sha256sum(fetched)
    }

    private var signing: [String] {
        ["-sS", "--aws-sigv4", "aws:amz:\(variables["AWS_REGION"] ?? "us-east-1"):s3",
         "--user", "\(variables["AWS_ACCESS_KEY_ID"]!):\(variables["AWS_SECRET_ACCESS_KEY"]!)", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    }

    /// The text of every `<name>` element of an XML answer, in order.
    private func values(_ name: String, in xml: String) -> [String] {
        xml.components(separatedBy: "<\(name)>").dropFirst().compactMap { $0.components(separatedBy: "</\(name)>").first }
    }
}
