import ObjectStorage
import Testing

@Suite struct S3LocationTests {
    @Test(arguments: [
        ("s3://media/incoming/a.mp4", "media", "incoming/a.mp4"),
        ("s3://media", "media", ""),
        ("s3://media/", "media", ""),
        ("s3://my.bucket-1/deep/er/key with space.mov", "my.bucket-1", "deep/er/key with space.mov"),
    ])
    func parses(uri: String, bucket: String, key: String) throws {
        let location = try S3Location(uri: uri)
        #expect(location.bucket == bucket && location.key == key)
    }

    @Test(arguments: [
        "http://media/a.mp4",  // not s3
        "s3://Media/a.mp4",  // upper case bucket
        "s3://ab/a.mp4",  // too short
        "s3://media/in/../etc/passwd",  // traversal
        "s3://media/./a.mp4",
        "s3://media/a//b.mp4",  // empty segment
        "s3://media/a\nb.mp4",  // control character
    ])
    func rejects(uri: String) {
        #expect(throws: S3Error.self) { try S3Location(uri: uri) }
    }

    @Test func containmentIsByFolderNotByStringPrefix() throws {
        let root = try S3Location(uri: "s3://media/in")
        #expect(root.contains(try S3Location(uri: "s3://media/in/a.mp4")))
        #expect(root.contains(try S3Location(uri: "s3://media/in")))
        #expect(!root.contains(try S3Location(uri: "s3://media/inbox/a.mp4")))
        #expect(!root.contains(try S3Location(uri: "s3://other/in/a.mp4")))
        #expect(try S3Location(uri: "s3://media").contains(try S3Location(uri: "s3://media/anything")))
    }

    @Test func configurationNeverShowsTheSecret() {
        let configuration = S3Configuration(endpoint: "http://127.0.0.1:1/", accessKeyID: "AKID", secretAccessKey: "s3cr3tKEY", sessionToken: "t0ken")
        #expect(configuration.endpoint == "http://127.0.0.1:1")
        #expect(configuration.addressing == .path)
        #expect(!"\(configuration)".contains("s3cr3tKEY") && !"\(configuration)".contains("t0ken"))
    }
}
