import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Requests from outside (inbox, Kafka) must stay inside the allowed roots; the command line is exempt by design.
@Suite struct ConfinementTests {
    /// A root with one good file, a file outside it, and a symlink from inside to outside.
    struct Layout {
        let scratch: ScratchDirectory
        var root: String { scratch.path("root") }
        var inside: String { root + "/inside.mp4" }
        var outside: String { scratch.path("elsewhere/outside.mp4") }
        var escapingLink: String { root + "/link.mp4" }

        init() throws {
            scratch = try ScratchDirectory()
            try FileManager.default.createDirectory(atPath: scratch.path("root/sub"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: scratch.path("elsewhere"), withIntermediateDirectories: true)
            try Data("video".utf8).write(to: URL(fileURLWithPath: inside))
            try Data("video".utf8).write(to: URL(fileURLWithPath: outside))
            try FileManager.default.createSymbolicLink(atPath: escapingLink, withDestinationPath: outside)
        }
    }

    enum Case: String, CaseIterable, CustomTestStringConvertible {
        case outsideAllowedRoots, symlinkEscape, dotDotTraversal, relativePath
        var testDescription: String { rawValue }

        func path(in layout: Layout) -> String {
            switch self {
            case .outsideAllowedRoots: layout.outside
            case .symlinkEscape: layout.escapingLink
            // Lexically this climbs back into the root; `..` is refused whatever it resolves to.
            case .dotDotTraversal: layout.root + "/sub/../inside.mp4"
            case .relativePath: "root/inside.mp4"
            }
        }

        var expectedCode: IngestError.Code {
            switch self {
            case .outsideAllowedRoots: .outsideAllowedRoots
            case .symlinkEscape: .symlinkEscape
            case .dotDotTraversal: .pathTraversal
            case .relativePath: .invalidRequest
            }
        }
    }

    @Test(arguments: Case.allCases)
    func confinedValidationRefuses(_ testCase: Case) throws {
        let layout = try Layout()
        defer { layout.scratch.remove() }
        let validator = FileValidator(allowedRoots: [layout.root], maxFileBytes: 1 << 30)
        let path = testCase.path(in: layout)
        #expect(throws: IngestError.self) { try validator.validate(path: path, confined: true) }
        do {
            _ = try validator.validate(path: path, confined: true)
        } catch {
            #expect(error.code == testCase.expectedCode, "\(error)")
            #expect(!error.isRetryable)
        }
    }

    @Test func confinedValidationAcceptsAFileInsideAndTheCommandLineIsExempt() throws {
        let layout = try Layout()
        defer { layout.scratch.remove() }
        let validator = FileValidator(allowedRoots: [layout.root], maxFileBytes: 1 << 30)
        let file = try validator.validate(path: layout.inside, confined: true)
        #expect(file.sizeBytes == 5)
        // The command line is the user's explicit choice: the same escape is allowed there.
        let linked = try validator.validate(path: layout.escapingLink, confined: false)
        #expect(linked.resolvedPath == URL(fileURLWithPath: layout.outside).resolvingSymlinksInPath().path)
    }

    @Test func produceRefusesFilesOutsideTheAllowedRoots() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let (outside, link) = try lake.escapingFiles()

        for (path, code) in [(outside, "outside_allowed_roots"), (link, "symlink_escape")] {
            let result = try lake.vidpipe(["produce", path])
            #expect(result.status == 1)
            #expect(result.stderr.contains(code), "\(result.stderr)")
        }
        // Nothing queued: no inbox folder at all, or none of its files a request.
        #expect(try lake.requests(in: lake.inbox).isEmpty)
    }
}
