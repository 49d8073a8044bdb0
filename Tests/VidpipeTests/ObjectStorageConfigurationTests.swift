import Foundation
import ObjectStorage
import Testing
import VidpipeConfiguration
import VidpipeTestSupport

/// The lake, the sources' allowed roots and the credentials in an S3-compatible store, read
/// from `VIDPIPE_DATALAKE`, `VIDPIPE_ALLOWED_ROOTS` and the standard AWS variables.
@Suite struct ObjectStorageConfigurationTests {
    static let credentials = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-secret"]

    @Test func anS3LakeKeepsStateLocalAndSignsForTheConfiguredStore() throws {
        let configuration = try VidpipeConfiguration.from(values: Self.credentials.merging([
            "VIDPIPE_DATALAKE": "s3://media-lake/prod/", "AWS_ENDPOINT_URL": "http://10.0.0.5:8333/", "AWS_DEFAULT_REGION": "eu-west-1",
            "VIDPIPE_SCRATCH": "scratch", "VIDPIPE_ALLOWED_ROOTS": "s3://uploads/cameras:/srv/in:s3://uploads/phones",
        ]) { _, new in new }, workingDirectory: "/srv/vidpipe")
        let ingest = configuration.ingest
        #expect(ingest.datalake == "s3://media-lake/prod")
        #expect(configuration.layout.silverFolder(videoID: "v1") == "s3://media-lake/prod/silver/v1")
        #expect(configuration.layout.isObjectStore)
        #expect(ingest.stateDirectory == "/srv/vidpipe/vidpipe-state")
        #expect(configuration.layout.catalog == "/srv/vidpipe/vidpipe-state/catalog.sqlite")
        #expect(configuration.layout.inbox == "/srv/vidpipe/vidpipe-state/inbox")
        #expect(ingest.scratch == "/srv/vidpipe/scratch")
        #expect(configuration.layout.staging == "/srv/vidpipe/scratch/staging")
        #expect(ingest.allowedRoots == ["s3://uploads/cameras", "/srv/in", "s3://uploads/phones"])
        let store = try #require(ingest.objectStorage)
        #expect(store.endpoint == "http://10.0.0.5:8333")
        #expect(store.region == "eu-west-1")
        #expect(store.addressing == .path)
    }

    @Test func aLakeFolderStaysTheStateFolderAndTheCatalogCanMove() throws {
        let configuration = try VidpipeConfiguration.from(values: ["VIDPIPE_DATALAKE": "/data/lake", "VIDPIPE_CATALOG": "/var/db/vidpipe.sqlite"],
                                                          workingDirectory: "/")
        #expect(configuration.layout.inbox == "/data/lake/inbox")
        #expect(configuration.layout.staging == "/data/lake/staging")
        #expect(configuration.layout.catalog == "/var/db/vidpipe.sqlite")
        #expect(configuration.ingest.objectStorage == nil)
        #expect(configuration.ingest.scratch.hasSuffix("/vidpipe-scratch"))
    }

    @Test(arguments: [
        (["VIDPIPE_DATALAKE": "s3://lake/x"], "VIDPIPE_DATALAKE", "AWS_ACCESS_KEY_ID"),
        (["VIDPIPE_ALLOWED_ROOTS": "/in:s3://uploads/in"], "VIDPIPE_ALLOWED_ROOTS", "s3://uploads/in"),
        (["AWS_ACCESS_KEY_ID": "AKID"], "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
        (["AWS_SECRET_ACCESS_KEY": "pw"], "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        (credentials.merging(["VIDPIPE_DATALAKE": "s3://Bad_Bucket/x"]) { _, new in new }, "VIDPIPE_DATALAKE", "Bad_Bucket"),
        (credentials.merging(["VIDPIPE_ALLOWED_ROOTS": "s3://uploads/a/../b"]) { _, new in new }, "VIDPIPE_ALLOWED_ROOTS", "'..'"),
        (credentials.merging(["AWS_ENDPOINT_URL": "10.0.0.5:8333"]) { _, new in new }, "AWS_ENDPOINT_URL", "10.0.0.5:8333"),
        (credentials.merging(["VIDPIPE_S3_ADDRESSING": "dns"]) { _, new in new }, "VIDPIPE_S3_ADDRESSING", "dns"),
    ])
    func unusableObjectStorageSettingsNameTheVariable(values: [String: String], variable: String, mentions: String) throws {
        #expect { try VidpipeConfiguration.from(values: values, workingDirectory: "/") } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == variable && error.description.contains(mentions) && !error.description.contains("wJalrXUtnFEMI")
        }
    }

    @Test func configShowsTheStoreButNeverItsSecrets() throws {
        let lake = try TestLake(environment: Self.credentials.merging([
            "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLETOKEN", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        ]) { _, new in new })
        defer { lake.remove() }
        let result = try lake.vidpipe(["config"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.text.contains("wJalrXUtnFEMI-secret"))
        #expect(!result.text.contains("FwoGZXIvYXdzEXAMPLETOKEN"))
        #expect(result.text.contains("AWS_ACCESS_KEY_ID=AKIDEXAMPLE"))
        #expect(result.text.contains("AWS_SECRET_ACCESS_KEY=<redacted>"))
        #expect(result.text.contains("AWS_SESSION_TOKEN=<redacted>"))
        #expect(result.text.contains("AWS_ENDPOINT_URL=http://127.0.0.1:9"))
    }
}
