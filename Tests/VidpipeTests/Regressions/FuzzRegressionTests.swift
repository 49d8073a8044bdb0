import Foundation
import Ingest
import Testing
import VidpipeTestSupport

@testable import VidpipeConfiguration

/// Inputs that once crashed a fuzz target (`scripts/fuzz`), kept in
/// `fuzz/regressions/TARGET/` and fed through the target's own entry point: each must now
/// end in the specific error a user would read.
@Suite struct FuzzRegressionTests {
    /// A committed input and what it must now produce.
    struct Case: Sendable, CustomTestStringConvertible {
        var target: String
        var file: String
        /// The variable (configuration) or error code (request, sidecar) expected.
        var expected: String
        /// Words the message must contain.
        var message: String
        var testDescription: String { "\(target)/\(file)" }
        var path: String { PackageDirectory.path("fuzz/regressions/\(target)/\(file)") }
    }

    static let configurationCases: [Case] = [
        // Overflowed maxrate (×1070) and buffer (×1500) and trapped while parsing.
        Case(target: "configuration", file: "ladder-bit-rate-overflow.env", expected: "VIDPIPE_RENDITIONS",
             message: "video must be 1–1000000 kb/s"),
        // Passed the parser, then trapped when the daemon made a Duration of it.
        Case(target: "configuration", file: "task-timeout-beyond-duration.env", expected: "VIDPIPE_TASK_TIMEOUT_SECONDS",
             message: "is not a positive number of seconds up to 1000000000"),
    ]

    @Test(arguments: configurationCases)
    func configurationFileIsRefusedByName(_ testCase: Case) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let error = try #require(throws: ConfigurationError.self) {
            try VidpipeConfiguration.load(environment: ["VIDPIPE_CONFIG_FILE": testCase.path], workingDirectory: scratch.path)
        }
        #expect(error.variable == testCase.expected)
        #expect(error.message.contains(testCase.message), "\(error)")
    }

    /// Every committed input has a case here, so none is kept without being checked.
    @Test func everyCommittedInputIsChecked() throws {
        let cases = Self.configurationCases
        for target in ["configuration", "request", "sidecar"] {
            let folder = PackageDirectory.path("fuzz/regressions/\(target)")
            // git keeps no empty folder: a target without regressions has none.
            let files = FileManager.default.fileExists(atPath: folder) ? try FileManager.default.contentsOfDirectory(atPath: folder) : []
            let checked = cases.filter { $0.target == target }.map(\.file)
            #expect(Set(files.filter { !$0.hasPrefix(".") }) == Set(checked), "\(target)")
        }
    }
}
