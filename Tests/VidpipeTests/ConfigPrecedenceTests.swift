import Foundation
import Testing
import VidpipeTestSupport

/// Where each setting comes from, as `vidpipe config` (the binary) prints the effective
/// configuration: the environment over `.env` in the working directory over the config
/// file (`config/vidpipe.env` there, or `VIDPIPE_CONFIG_FILE`) over the compiled defaults.
@Suite struct ConfigPrecedenceTests {
    /// Four variables, each set in the layers above its expected source:
    /// SPRITE_TILES nowhere, INBOX_POLL in the file, GRACE in the file and `.env`,
    /// TASK_ATTEMPTS in all three.
    static let file = "VIDPIPE_INBOX_POLL_SECONDS=7.0\nVIDPIPE_SHUTDOWN_GRACE_SECONDS=11.0\nVIDPIPE_TASK_ATTEMPTS=4\n"
    static let dotEnv = "VIDPIPE_SHUTDOWN_GRACE_SECONDS=12.0\nVIDPIPE_TASK_ATTEMPTS=5\n"
    static let environment = ["VIDPIPE_TASK_ATTEMPTS": "6"]

    @Test func environmentBeatsDotEnvBeatsTheConfigFileBeatsDefaults() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let defaults = try printed(lake)
        try FileManager.default.createDirectory(atPath: lake.scratch.path("config"), withIntermediateDirectories: true)
        try Data(Self.file.utf8).write(to: URL(fileURLWithPath: lake.scratch.path("config/vidpipe.env")))
        try Data(Self.dotEnv.utf8).write(to: URL(fileURLWithPath: lake.scratch.path(".env")))

        let effective = try printed(lake, environment: Self.environment)
        #expect(effective["VIDPIPE_TASK_ATTEMPTS"] == "6", "the environment wins")
        #expect(effective["VIDPIPE_SHUTDOWN_GRACE_SECONDS"] == "12.0", ".env beats the config file")
        #expect(effective["VIDPIPE_INBOX_POLL_SECONDS"] == "7.0", "the config file beats the default")
        #expect(effective["VIDPIPE_SPRITE_TILES"] == defaults["VIDPIPE_SPRITE_TILES"] && defaults["VIDPIPE_SPRITE_TILES"] != nil,
                "unset everywhere: the compiled default")
        // The defaults differ from every value set above, so each line shows its source.
        for key in ["VIDPIPE_TASK_ATTEMPTS", "VIDPIPE_SHUTDOWN_GRACE_SECONDS", "VIDPIPE_INBOX_POLL_SECONDS"] {
            #expect(defaults[key] != effective[key], "\(key)")
        }

        // VIDPIPE_CONFIG_FILE names another file, which then replaces config/vidpipe.env.
        let other = lake.scratch.path("other.env")
        try Data("VIDPIPE_INBOX_POLL_SECONDS=9.0\n".utf8).write(to: URL(fileURLWithPath: other))
        let named = try printed(lake, environment: ["VIDPIPE_CONFIG_FILE": other])
        #expect(named["VIDPIPE_INBOX_POLL_SECONDS"] == "9.0")
        #expect(named["VIDPIPE_TASK_ATTEMPTS"] == "5", ".env still applies")
    }

    /// `vidpipe config`'s `KEY=VALUE` lines, run in the lake's scratch folder.
    private func printed(_ lake: TestLake, environment: [String: String] = [:]) throws -> [String: String] {
        let result = try lake.vidpipe(["config"], environment: environment)
        guard result.status == 0 else { throw ToolFailure(command: ["vidpipe", "config"], status: result.status, stderr: result.stderr) }
        return Dictionary(result.text.split(separator: "\n").compactMap { line -> (String, String)? in
            guard let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }) { first, _ in first }
    }
}
