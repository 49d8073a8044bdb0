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
    let oracle: S3Oracle

    init() throws {
        variables = try S3TestServer.variables()
        client = S3Client(configuration: Self.configuration(variables))
        oracle = S3Oracle(variables: variables)
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
        try oracle.curl(["-o", fetched, oracle.url(location)])
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
        try oracle.curl(["-o", fetched, oracle.url(location)])
        #expect(try CommandLineTool.sha256sum(fetched) == CommandLineTool.sha256sum(source))
        // No upload is left open in the store.
        let uploads = try oracle.curl([oracle.url(S3Location(bucket: bucket, key: "")) + "?uploads="])
        #expect(!uploads.contains("<UploadId>"), "\(uploads)")
    }

    @Test func cancelledMultipartUploadLeavesNoOpenUpload() async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let bucket = S3TestServer.uniqueBucket()
        try await client.createBucket(bucket)
        let source = scratch.path("large.bin")
        try Clip.noise(source, count: 100 << 20)
        let location = S3Location(bucket: bucket, key: "large.bin")
        var configuration = Self.configuration(variables)
        (configuration.partSize, configuration.uploadConcurrency) = (5 << 20, 1)  // 20 parts one by one: time to cancel

        let upload = Task { try await S3Client(configuration: configuration).upload(file: source, to: location) }
        try await waitUntil("a part of the upload in the store", timeout: .seconds(60)) {
            guard let id = try oracle.openUploads(bucket).first else { return false }
            return try !oracle.uploadedParts(location, uploadID: id).isEmpty
        }
        upload.cancel()
        await #expect(throws: S3Error.self) { _ = try await upload.value }
        #expect(try oracle.headStatus(location) == 404)
        #expect(try oracle.openUploads(bucket).isEmpty, "the cancelled upload was not aborted")
    }

    /// What a caller can do with the store: each must report refused credentials and a missing
    /// bucket the same clear way.
    enum Operation: String, CaseIterable, Sendable {
        case smallUpload, multipartUpload, download, list

        func run(_ client: S3Client, _ location: S3Location, _ scratch: ScratchDirectory) async throws {
            switch self {
            case .smallUpload: _ = try await client.upload(bytes: Array("x".utf8), to: location, contentType: "text/plain")
            case .multipartUpload:
                let source = scratch.path("multipart.bin")
                try Clip.noise(source, count: 33 << 20)  // over the 32 MiB threshold of these tests
                _ = try await client.upload(file: source, to: location)
            case .download: _ = try await client.download(location, to: scratch.path("download.bin"))
            case .list: _ = try await client.list(location)
            }
        }
    }

    @Test(arguments: Operation.allCases)
    func wrongSecretGivesAClearErrorWithoutTheSecret(_ operation: Operation) async throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let bucket = S3TestServer.uniqueBucket()
        try await client.createBucket(bucket)
        let location = S3Location(bucket: bucket, key: "x")
        _ = try await client.upload(bytes: Array("x".utf8), to: location, contentType: "text/plain")
        let secret = "not-the-secret-123"
        let wrong = S3Client(configuration: Self.configuration(variables, secret: secret))
        let error = try await #require(throws: S3Error.self) { try await operation.run(wrong, location, scratch) }
        #expect(error.code == .storageCredentialsRejected, "\(error)")
        // Where, whose key, and what to fix; never the secret, in any form the error is shown.
        #expect(error.message.contains(variables["AWS_ENDPOINT_URL"]!) && error.message.contains("refused the access key \(variables["AWS_ACCESS_KEY_ID"]!)"),
                "\(error)")
        #expect(error.message.contains("AWS_SECRET_ACCESS_KEY"), "\(error)")
        #expect(![error.message, error.description, String(reflecting: error)].contains { $0.contains(secret) }, "\(error)")
        #expect(!error.isRetryable)
    }

    @Test(arguments: [Operation.download, .list])
    func missingBucketGivesAClearError(_ operation: Operation) async throws {
        let location = S3Location(bucket: S3TestServer.uniqueBucket("missing"), key: "a.mp4")
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let error = try await #require(throws: S3Error.self) { try await operation.run(client, location, scratch) }
        #expect(error.code == .storageBucketMissing, "\(error)")
        #expect(error.message.contains("bucket \(location.bucket) does not exist at \(variables["AWS_ENDPOINT_URL"]!)"), "\(error)")
        #expect(!error.isRetryable)
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
}
