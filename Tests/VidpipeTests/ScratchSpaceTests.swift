import Foundation
@testable import Ingest
import Testing
import VidpipeTestSupport

/// The scratch budget (`VIDPIPE_SCRATCH_MAX_BYTES`): a download waits until its object fits,
/// and one bigger than the whole bound fails at once, naming the variable.
@Suite struct ScratchSpaceTests {
    @Test func aDownloadWaitsUntilTheObjectFitsAndTooBigOneFails() async throws {
        let folder = try ScratchDirectory()
        defer { folder.remove() }
        let scratch = ScratchSpace(root: folder.path("scratch"), maxBytes: 100)
        let first = UUID().uuidString.lowercased(), second = UUID().uuidString.lowercased()
        try await scratch.lease(for: first).reserve(60, for: "s3://b/first.mp4")
        let secondLease = try scratch.lease(for: second)
        let granted = Flag()
        let reserved = Task {
            try await secondLease.reserve(60, for: "s3://b/second.mp4")
            granted.set()
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("scratch")).count == 4, "two folders and two locks")
        // 60 + 60 do not fit in 100: the second waits until the first job ends.
        #expect(try await !eventually(within: 0.5) { granted.isSet })
        scratch.end(jobID: first)
        try await reserved.value
        #expect(granted.isSet)
        #expect(!FileManager.default.fileExists(atPath: folder.path("scratch/\(first)")))
        #expect(!FileManager.default.fileExists(atPath: folder.path("scratch/\(first).lock")))

        #expect(throws: Never.self) { try scratch.checkFits(100, for: "s3://b/fits.mp4") }
        let error = #expect(throws: IngestError.self) { try scratch.checkFits(101, for: "s3://b/huge.mp4") }
        #expect(error?.code == .fileTooLarge && error?.message.contains("VIDPIPE_SCRATCH_MAX_BYTES") == true, "\(String(describing: error))")
        scratch.end(jobID: second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path("scratch")).isEmpty)
    }
}

/// A flag one task sets and another reads.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
