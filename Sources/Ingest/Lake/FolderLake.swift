import Execution
import Catalog
import Foundation
import Logging

/// The lake in a local folder: bronze is hard-linked (or copied) into place, silver is
/// staged on the same file system and published by a rename after the commit.
struct FolderLake: LakeStore {
    let layout: DatalakeLayout
    let bronze: BronzeStore

    init(layout: DatalakeLayout) {
        self.layout = layout
        self.bronze = BronzeStore(root: layout.bronze)
    }

    func stageBronze(_ file: ValidatedFile, hash: ContentHash, probeJSON: Data, sidecar: Sidecar?,
                     jobID: String) async throws -> StagedObject {
        try await DedicatedThread.run(name: "stage") { () throws(IngestError) in
            try bronze.stage(file, hash: hash, probeJSON: probeJSON, sidecar: sidecar)
        }
    }

    /// Nothing to upload: the rename after the commit publishes the staged files as they are.
    func uploadSilver(jobID: String, videoID: String) async throws -> Int64 {
        let staged = layout.stagingFolder(jobID: jobID)
        return StagedFiles.bytes(of: StagedFiles.paths(under: staged), in: staged)
    }

    func confirmUploads(videoID: String) async throws {}

    func publishSilver(jobID: String, videoID: String?) async throws {
        guard let videoID else { return }
        try SilverStaging.publish(jobID: jobID, videoID: videoID, layout: layout)
    }

    /// The staging lease removes the folder; nothing reached the lake.
    func discardSilver(jobID: String, videoID: String) async {}

    func recover(catalog: any Catalog, logger: Logger) async {
        await SilverStaging.recover(layout: layout, catalog: catalog, logger: logger) { jobID, videoID in
            try SilverStaging.publish(jobID: jobID, videoID: videoID, layout: layout)
        }
    }
}
