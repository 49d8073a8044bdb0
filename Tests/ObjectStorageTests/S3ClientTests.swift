import Foundation
import ObjectStorage
import Testing
import VidpipeTestSupport

/// The client against a real S3 store (SeaweedFS), with the curl CLI (its own SigV4) and
/// sha256sum as oracles.
@Suite(.enabled(if: S3TestServer.shouldRun, Comment(rawValue: S3TestServer.skipReason)))
struct S3ClientTests {
    let variables: [String: String]
    let client: S3Client

    init() throws {
        variables = try S3TestServer.variables()
        client = S3Client(configuration: Self.configuration(variables))
    }

    static func configuration(_ variables: [String: String], secret: String? = nil) -> S3Configuration {
        var configuration = S3Configuration(endpoint: variables["AWS_ENDPOINT_URL"], region: variables["AWS_REGION"] ?? "us-east-1",
                                            accessKeyID: variables["AWS_ACCESS_KEY_ID"]!,
                                            secretAccessKey: secret ?? variables["AWS_SECRET_ACCESS_KEY"]!)
        configuration.partSize = 16 << 20
        configuration.multipartThreshold = 32 << 20
        return configuration
    }

    @Test func smallObjectRoundTripsByteForByte() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let bucket = S3TestServer.uniqueBucket()
        try await client.createBucket(bucket)
        let source = scratch.path("source.bin")
        try Clip.noise(source, count: 3 << 20 + 17)
        let location = S3Location(bucket: bucket, key: "dir/with space/ü.bin")

        let uploaded = try await client.upload(file: source, to: location)
        #expect(uploaded.size == 3 << 20 + 17)
        // Oracle: the curl CLI fetches it with its own signing; sha256sum hashes both files.
        let fetched = scratch.path("curl.bin")
        try curl(["-o", fetched, url(location)])
        #expect(try CommandLineTool.sha256sum(fetched) == CommandLineTool.sha256sum(source))

        let download = try await client.download(location, to: scratch.path("client.bin"))
        #expect(download.size == uploaded.size)
        #expect(download.sha256 == (try CommandLineTool.sha256sum(source)))
        #expect(FileManager.default.contentsEqual(atPath: source, andPath: scratch.path("client.bin")))

        let listed = try await client.list(S3Location(bucket: bucket, key: "dir/"))
        #expect(listed.map(\.location.key) == ["dir/with space/ü.bin"] && listed.first?.size == uploaded.size)
        try await client.delete(location)
        #expect(try await client.head(location) == nil)
    }

    @Test func largeObjectGoesUpInVerifiedParts() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let bucket = S3TestServer.uniqueBucket()
        try await client.createBucket(bucket)
        let source = scratch.path("large.bin")
        try Clip.noise(source, count: 101 << 20 + 5)  // over 100 MiB: 7 parts of 16 MiB
        let location = S3Location(bucket: bucket, key: "large.bin")

        let uploaded = try await client.upload(file: source, to: location)
        #expect(uploaded.etag.hasSuffix("-7"), "\(uploaded.etag)")
        let head = try #require(try await client.head(location))
        #expect(head.size == 101 << 20 + 5)
        let fetched = scratch.path("curl.bin")
        try curl(["-o", fetched, url(location)])
        #expect(try CommandLineTool.sha256sum(fetched) == CommandLineTool.sha256sum(source))
        // No upload is left open in the store.
        let uploads = try curl([url(S3Location(bucket: bucket, key: "")) + "?uploads="])
        #expect(!uploads.contains("<UploadId>"), "\(uploads)")
    }

    @Test func wrongSecretGivesAClearErrorWithoutTheSecret() async throws {
        let bucket = S3TestServer.uniqueBucket()
        try await client.createBucket(bucket)
        let wrong = S3Client(configuration: Self.configuration(variables, secret: "not-the-secret-123"))
        let error = try await #require(throws: S3Error.self) {
            _ = try await wrong.upload(bytes: Array("x".utf8), to: S3Location(bucket: bucket, key: "x"), contentType: "text/plain")
        }
        #expect(error.code == .storageCredentialsRejected, "\(error)")
        #expect(error.message.contains("AWS_SECRET_ACCESS_KEY") && !error.message.contains("not-the-secret-123"), "\(error)")
        #expect(!error.isRetryable)
    }

    @Test func missingBucketGivesAClearError() async throws {
        let location = S3Location(bucket: S3TestServer.uniqueBucket("missing"), key: "a.mp4")
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let error = try await #require(throws: S3Error.self) { _ = try await client.download(location, to: scratch.path("a.mp4")) }
        #expect(error.code == .storageBucketMissing, "\(error)")
        #expect(error.message.contains(location.bucket), "\(error)")
    }

    @Test func unreachableStoreIsRetryable() async throws {
        var configuration = Self.configuration(variables)
        configuration.endpoint = "http://127.0.0.1:9"  // discard port: nothing listens
        configuration.attempts = 2
        let error = try await #require(throws: S3Error.self) {
            _ = try await S3Client(configuration: configuration).head(S3Location(bucket: "media", key: "a"))
        }
        #expect(error.code == .storageUnreachable && error.isRetryable, "\(error)")
    }

    // MARK: Oracles

    private func url(_ location: S3Location) -> String {
        let key = location.key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))) ?? location.key
        return "\(variables["AWS_ENDPOINT_URL"]!)/\(location.bucket)/\(key)"
    }

    @discardableResult
    private func curl(_ arguments: [String]) throws -> String {
        let credentials = "\(variables["AWS_ACCESS_KEY_ID"]!):\(variables["AWS_SECRET_ACCESS_KEY"]!)"
        let result = try CommandLineTool.checked("curl", ["-sS", "-f", "--aws-sigv4", "aws:amz:\(variables["AWS_REGION"] ?? "us-east-1"):s3",
                                                          "--user", credentials, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"] + arguments)
        return result.text
    }
}
