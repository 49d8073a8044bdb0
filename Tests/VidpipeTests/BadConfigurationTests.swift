import Foundation
import Testing
import VidpipeTestSupport

/// Settings vidpipe cannot work with: `process` exits 2 before touching anything, with one
/// line naming the variable, what is wrong and what it expects.
enum BadSetting: String, CaseIterable, CustomTestStringConvertible {
    case malformedRenditions, negativeJobConcurrency, zeroMaxFileBytes, zeroTaskTimeout, zeroTaskAttempts, unparsablePostgresURI,
         unknownSMTPSecurity, smtpPortOutOfRange, receiverNotAnAddress, unknownLogLevel, blackShareOverOne, resolutionNotWxH,
         missingConfigFile

    var testDescription: String { rawValue }

    var environment: [String: String] {
        switch self {
        case .malformedRenditions: ["VIDPIPE_RENDITIONS": "720p:721:2800:128"]
        case .negativeJobConcurrency: ["VIDPIPE_JOB_CONCURRENCY": "-1"]
        case .zeroMaxFileBytes: ["VIDPIPE_MAX_FILE_BYTES": "0"]
        case .zeroTaskTimeout: ["VIDPIPE_TASK_TIMEOUT_SECONDS": "0"]
        case .zeroTaskAttempts: ["VIDPIPE_TASK_ATTEMPTS": "0"]
        case .unparsablePostgresURI: ["PG_CONN_URI": "postgres://vidpipe:hunter2secret@db:notaport/vidpipe"]
        case .unknownSMTPSecurity: ["SMTP_SERVER": "127.0.0.1", "SMTP_SECURITY": "ssl3"]
        case .smtpPortOutOfRange: ["SMTP_SERVER": "127.0.0.1", "SMTP_PORT": "99999"]
        case .receiverNotAnAddress: ["EMAIL_RECEIVER": "editors at example"]
        case .unknownLogLevel: ["VIDPIPE_LOG_LEVEL": "loud"]
        case .blackShareOverOne: ["VIDPIPE_POLICY_MAX_BLACK_SHARE": "2"]
        case .resolutionNotWxH: ["VIDPIPE_POLICY_MIN_RESOLUTION": "big"]
        case .missingConfigFile: ["VIDPIPE_CONFIG_FILE": "/nonexistent/vidpipe.env"]
        }
    }

    /// The line on stderr.
    var expectedMessage: String {
        switch self {
        case .malformedRenditions: #"configuration: VIDPIPE_RENDITIONS: "720p:721:2800:128": the height 721 is not an even number of lines from 2 to 8640"#
        case .negativeJobConcurrency: #"configuration: VIDPIPE_JOB_CONCURRENCY: "-1" is not a whole number ≥ 0"#
        case .zeroMaxFileBytes: #"configuration: VIDPIPE_MAX_FILE_BYTES: "0" is not a whole number ≥ 1"#
        case .zeroTaskTimeout: #"configuration: VIDPIPE_TASK_TIMEOUT_SECONDS: "0" is not a positive number of seconds"#
        case .zeroTaskAttempts: #"configuration: VIDPIPE_TASK_ATTEMPTS: "0" is not a whole number ≥ 1"#
        case .unparsablePostgresURI: "configuration: PG_CONN_URI must look like postgres://user:password@host:port/database"
        case .unknownSMTPSecurity: #"configuration: SMTP_SECURITY: "ssl3" is not one of starttls, starttls-optional, tls, none"#
        case .smtpPortOutOfRange: #"configuration: SMTP_PORT: "99999" is not a port number"#
        case .receiverNotAnAddress: #"configuration: EMAIL_RECEIVER: "editors at example" is not a mail address"#
        case .unknownLogLevel: #"configuration: VIDPIPE_LOG_LEVEL: "loud" is not one of trace, debug"#
        case .blackShareOverOne: "configuration: VIDPIPE_POLICY_MAX_BLACK_SHARE: 2.0 is not between 0 and 1"
        case .resolutionNotWxH: #"configuration: VIDPIPE_POLICY_MIN_RESOLUTION: "big" is not WIDTHxHEIGHT"#
        case .missingConfigFile: "configuration: VIDPIPE_CONFIG_FILE: /nonexistent/vidpipe.env does not exist"
        }
    }
}

@Suite struct BadConfigurationTests {
    /// One lake holding a recorded video, every bad setting tried on it in turn.
    @Test func everyBadSettingStopsProcessWithItsVariableNamedAndTouchesNothing() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let clip = lake.incoming + "/clip.mp4"
        try Clip.good(clip)
        #expect(try lake.process([clip]).status == 0)
        let other = lake.incoming + "/other.mp4"
        try Clip.good(other, seconds: 2)
        let before = try LakeSnapshot(lake)
        let logs = try Self.listing(lake.root + "/logs")

        for setting in BadSetting.allCases {
            let result = try lake.vidpipe(["process", other], environment: setting.environment)
            #expect(result.status == 2, "\(setting)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines.first?.hasPrefix("vidpipe: " + setting.expectedMessage) == true, "\(setting): \(result.stderr)")
            #expect(!result.stderr.contains("hunter2secret") && !result.text.contains("hunter2secret"), "\(setting) shows a password")
        }
        #expect(try LakeSnapshot(lake) == before)
        #expect(try Self.listing(lake.root + "/logs") == logs, "no job log was written")
    }

    static func listing(_ folder: String) throws -> [String] {
        (FileManager.default.subpaths(atPath: folder) ?? []).sorted()
    }
}
