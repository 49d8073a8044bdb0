import Execution
import Foundation
import ObjectStorage
import Testing
import VidpipeTestSupport

/// The store killed with SIGKILL in the middle of a multipart upload, on a store of this
/// suite's own (the shared one serves the other tests). The curl CLI is the oracle for what
/// the store shows afterwards: the whole object or nothing, and no upload left open.
@Suite(.serialized, .enabled(if: S3TestServer.shouldRun, Comment(rawValue: S3TestServer.skipReason)))
struct S3StoreOutageTests {
    /// 24 parts of 5 MiB, 2 at a time: the kill lands with most of them still to send.
    static let size = 120 << 20 + 3

    static func configuration(_ variables: [String: String]) -> S3Configuration {
        var configuration = S3Configuration(endpoint: variables["AWS_ENDPOINT_URL"], region: variables["AWS_REGION"] ?? "us-east-1",
                                            accessKeyID: variables["AWS_ACCESS_KEY_ID"]!, secretAccessKey: variables["AWS_SECRET_ACCESS_KEY"]!)
        configuration.multipartThreshold = 5 << 20
        configuration.partSize = 5 << 20
        configuration.uploadConcurrency = 2
        configuration.backoff = BackoffPolicy(initial: .milliseconds(500), maximum: .seconds(2), jitter: 0)
        return configuration
    }

    @Test func storeBackWithinTheAttemptsGetsTheWholeObject() async throws {
        let store = try PrivateS3Store()
        defer { store.stop() }
        let oracle = S3Oracle(variables: store.variables)
        var configuration = Self.configuration(store.variables)
        configuration.attempts = 60  // about 2 minutes of retries: a restart here takes up to 30 s
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let (source, location) = try await prepare(S3Client(configuration: configuration), scratch)

        let upload = Task { try await S3Client(configuration: configuration).upload(file: source, to: location) }
        try await killMidUpload(store, oracle, location)
        let restart = try store.restartInBackground()
        defer { restart.waitUntilExit() }

        let uploaded = try await upload.value
        #expect(uploaded.size == Int64(Self.size))
        #expect(try oracle.sha256(location) == CommandLineTool.sha256sum(source))
        #expect(try oracle.openUploads(location.bucket).isEmpty)
    }

    @Test func storeDownForTheAttemptsLeavesNothingBehind() async throws {
        let store = try PrivateS3Store()
        defer { store.stop() }
        let oracle = S3Oracle(variables: store.variables)
        var configuration = Self.configuration(store.variables)
        configuration.attempts = 1  // the part cut by the kill fails the upload at once
        configuration.abortPatience = .seconds(120)
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let (source, location) = try await prepare(S3Client(configuration: configuration), scratch)

        let upload = Task { try await S3Client(configuration: configuration).upload(file: source, to: location) }
        try await killMidUpload(store, oracle, location)
        let restart = try store.restartInBackground()

        let error = try await #require(throws: S3Error.self) { _ = try await upload.value }
        #expect(error.code == .storageUnreachable && error.isRetryable, "\(error)")
        #expect(error.message.contains(store.variables["AWS_ENDPOINT_URL"]!), "\(error)")
        restart.waitUntilExit()
        #expect(try oracle.headStatus(location) == 404)
        #expect(try !oracle.listedKeys(location.bucket).contains(location.key))
        // The abort waited for the store to come back: no parts stay behind in it.
        #expect(try oracle.openUploads(location.bucket).isEmpty)
    }

    /// A bucket and a file of noise to upload into it.
    private func prepare(_ client: S3Client, _ scratch: ScratchDirectory) async throws -> (String, S3Location) {
        let bucket = S3TestServer.uniqueBucket("outage")
        try await client.createBucket(bucket)
        let source = scratch.path("source.bin")
        try Clip.noise(source, count: Self.size)
        return (source, S3Location(bucket: bucket, key: "clips/source.bin"))
    }

    /// Waits until the store holds two parts of the upload to `location`, then kills it.
    private func killMidUpload(_ store: PrivateS3Store, _ oracle: S3Oracle, _ location: S3Location) async throws {
        try await waitUntil("two parts of the upload in the store", timeout: .seconds(60)) {
            guard let id = try oracle.openUploads(location.bucket).first else { return false }
            return try oracle.uploadedParts(location, uploadID: id).count >= 2
        }
        #expect(try oracle.headStatus(location) == 404, "the object was complete before the kill")
        try store.kill()
    }
}
