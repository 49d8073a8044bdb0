import Foundation
import Media
import Testing
import VidpipeTestSupport

/// Files that once failed the `media` fuzz target (`scripts/fuzz media`), kept in
/// `fuzz/regressions/media/` and sent through what the target runs: the probe, then one
/// media pass with quality checks, enrichment and thumbnails.
@Suite struct MediaFuzzRegressionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        /// The stable code as stored in the catalog.
        var code: String
        /// Words the message must contain after the file's path.
        var message: String
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        // An H.264 stream declaring 2x24941 pixels with a 49882:3 sample aspect: the scene
        // detector's scaler could not allocate its picture, and the error named no file.
        Case(file: "enrichment-error-without-path.mp4", code: "enrichment_failed", message: "out of memory allocating a 160x1995280 picture"),
    ]

    @Test(arguments: cases)
    func passNamesTheFileInItsError(_ testCase: Case) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path(testCase.file)
        try FileManager.default.copyItem(atPath: PackageDirectory.path("fuzz/regressions/media/\(testCase.file)"), toPath: path)
        let error = try #require(throws: MediaError.self) {
            _ = try MediaProbe.probe(path: path)
            _ = try MediaPass.run(path: path, plan: MediaPassPlan(outputDirectory: scratch.path("outputs"), ladder: nil))
        }
        #expect(error.code.rawValue == testCase.code)
        #expect(error.path == path)
        #expect(error.message.hasPrefix(path + ": "), "\(error)")
        #expect(error.message.contains(testCase.message), "\(error)")
    }

    /// Every committed input has a case here, so none is kept without being checked.
    @Test func everyCommittedInputIsChecked() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: PackageDirectory.path("fuzz/regressions/media"))
        #expect(Set(files.filter { !$0.hasPrefix(".") }) == Set(Self.cases.map(\.file)))
    }
}
