import Foundation
import Ingest
import Media
import Testing
import VidpipeTestSupport

@testable import VidpipeConfiguration

/// `MediaPolicy.evaluate` on real probes of generated clips, with rules set the way users set them (`VIDPIPE_POLICY_*`).
@Suite struct PolicyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        /// Writes the clip to the given path.
        var clip: @Sendable (String) throws -> Void
        var fileExtension = "mp4"
        var settings: [String: String] = [:]
        var verdict: Verdict
        /// The rule that decides the verdict; nil when it passes.
        var rule: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "clean H.264 + AAC passes", clip: { try Clip.good($0) }, verdict: .pass),
        Case(name: "WebM off the house containers fails under the strict preset", clip: { try Clip.silent($0, codec: .vp8) },
             fileExtension: "webm",
             settings: ["VIDPIPE_POLICY_PRESET": "strict", "VIDPIPE_POLICY_CONTAINERS": "mp4,mov", "VIDPIPE_POLICY_AUDIO": "optional"],
             verdict: .fail, rule: "policy.container"),
        Case(name: "WebM off the house containers warns under the standard preset", clip: { try Clip.silent($0, codec: .vp8) },
             fileExtension: "webm", settings: ["VIDPIPE_POLICY_CONTAINERS": "mp4,mov", "VIDPIPE_POLICY_AUDIO": "optional"],
             verdict: .warn, rule: "policy.container"),
        Case(name: "MPEG-4 Part 2 off the house video codecs fails under the strict preset", clip: { try Clip.silent($0, codec: .mpeg4) },
             settings: ["VIDPIPE_POLICY_PRESET": "strict", "VIDPIPE_POLICY_VIDEO_CODECS": "h264,hevc", "VIDPIPE_POLICY_AUDIO": "optional"],
             verdict: .fail, rule: "policy.video_codec"),
        Case(name: "MPEG-4 Part 2 off the house video codecs warns under the standard preset", clip: { try Clip.silent($0, codec: .mpeg4) },
             settings: ["VIDPIPE_POLICY_VIDEO_CODECS": "h264,hevc", "VIDPIPE_POLICY_AUDIO": "optional"], verdict: .warn, rule: "policy.video_codec"),
        Case(name: "below minimum resolution", clip: { try Clip.good($0) },
             settings: ["VIDPIPE_POLICY_MIN_RESOLUTION": "640x480"], verdict: .fail, rule: "policy.min_resolution"),
        Case(name: "no audio warns by default", clip: { try Clip.silent($0) }, verdict: .warn, rule: "policy.audio_missing"),
        Case(name: "no audio fails when audio is required", clip: { try Clip.silent($0) },
             settings: ["VIDPIPE_POLICY_AUDIO": "require"], verdict: .fail, rule: "policy.audio_missing"),
        Case(name: "longer than the maximum duration", clip: { try Clip.good($0, seconds: 2) },
             settings: ["VIDPIPE_POLICY_MAX_DURATION_SECONDS": "1.5"], verdict: .fail, rule: "policy.max_duration"),
    ]

    @Test(arguments: cases)
    func verdictOnRealProbe(_ testCase: Case) throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let path = scratch.path("clip." + testCase.fileExtension)
        try testCase.clip(path)
        let probe = try MediaProbe.probe(path: path)
        let policy = try VidpipeConfiguration.from(values: testCase.settings, workingDirectory: scratch.path).ingest.policy

        let verdict = policy.evaluate(probe)
        #expect(verdict.verdict == testCase.verdict, "\(verdict.findings)")
        if let rule = testCase.rule {
            #expect(verdict.findings.contains { $0.rule == rule && $0.severity.rawValue == testCase.verdict.rawValue }, "\(verdict.findings)")
            // Only the rule under test fires: the clip is otherwise clean.
            #expect(Set(verdict.findings.map(\.rule)) == [rule], "\(verdict.findings)")
        } else {
            #expect(verdict.findings.isEmpty)
        }
    }

    @Test func policyFailureRejectsTheJobEndToEnd() throws {
        let lake = try TestLake(environment: ["VIDPIPE_POLICY_AUDIO": "require"])
        defer { lake.remove() }
        let clip = lake.incoming + "/mute.mp4"
        try Clip.silent(clip)
        let (status, report) = try lake.process([clip])
        #expect(status == 1)
        #expect(report.jobs.first?.state == "rejected")
        #expect(report.jobs.first?.errorCode == "policy_rejected")
        let findings = try lake.query("SELECT kind, severity FROM qc_findings")
        #expect(findings.map { $0["kind"]?.text } == ["policy.audio_missing"])
        #expect(findings.first?["severity"]?.text == "fail")
    }
}
