import Foundation
import Ingest
import Testing
import VidpipeTestSupport

@testable import VidpipeConfiguration

/// `config/vidpipe.env`, the compiled defaults, bad values and secret redaction.
@Suite struct ConfigurationTests {
    /// The repository's documented defaults file.
    static let envFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("config/vidpipe.env").path

    @Test func documentedDefaultsEqualCompiledDefaults() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let loaded = try VidpipeConfiguration.load(environment: ["VIDPIPE_CONFIG_FILE": Self.envFile], workingDirectory: scratch.path)
        let compiled = VidpipeConfiguration.defaults(datalake: scratch.path + "/datalake")
        #expect(loaded == compiled, "\(loaded)\n---\n\(compiled)")
        #expect(loaded.ingest.allowedRoots == [scratch.path + "/datalake/incoming"])
        // Without any file the compiled defaults apply as well.
        #expect(try VidpipeConfiguration.load(environment: [:], workingDirectory: scratch.path) == compiled)
    }

    @Test func postgresCallDeadlineIsRead() throws {
        let configuration = try VidpipeConfiguration.from(values: ["VIDPIPE_PG_CALL_DEADLINE_SECONDS": "4.5"], workingDirectory: "/")
        #expect(configuration.postgresCallDeadlineSeconds == 4.5)
    }

    @Test(arguments: [
        ("VIDPIPE_JOB_CONCURRENCY", "abc"), ("VIDPIPE_MISSING_SIDECAR", "maybe"), ("VIDPIPE_TASK_ATTEMPTS", "0"),
        ("VIDPIPE_POLICY_MIN_RESOLUTION", "640by480"), ("VIDPIPE_INBOX_POLL_SECONDS", "-1"), ("VIDPIPE_LOG_LEVEL", "loud"),
        ("VIDPIPE_PG_CALL_DEADLINE_SECONDS", "0"), ("VIDPIPE_MEMORY_BUDGET", "lots"), ("VIDPIPE_MEMORY_BUDGET", "2X"),
        ("VIDPIPE_MEMORY_BUDGET", "-1G"), ("VIDPIPE_MEMORY_BUDGET", "100M"),
    ])
    func badValueNamesTheVariable(variable: String, value: String) throws {
        #expect { try VidpipeConfiguration.from(values: [variable: value], workingDirectory: "/") } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == variable && error.description.contains(value)
        }
    }

    @Test(arguments: [
        ("2G", Int64(2) << 30), ("512M", Int64(512) << 20), ("1.5g", Int64(3) << 29), ("3221225472", Int64(3) << 30),
        ("768MiB", Int64(768) << 20), ("1 GB", Int64(1) << 30), ("300000K", Int64(300_000) << 10),
    ])
    func memoryBudgetReadsSizes(text: String, bytes: Int64) throws {
        let configuration = try VidpipeConfiguration.from(values: ["VIDPIPE_MEMORY_BUDGET": text], workingDirectory: "/")
        #expect(configuration.ingest.memoryBudgetBytes == bytes)
    }

    @Test func memoryBudgetZeroIsHalfOfWhatTheMachineHas() throws {
        let configuration = try VidpipeConfiguration.from(values: ["VIDPIPE_MEMORY_BUDGET": "0"], workingDirectory: "/")
        // The oracle: MemAvailable read here, independently of MachineMemory.
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let line = try #require(meminfo.split(separator: "\n").first { $0.hasPrefix("MemAvailable:") })
        let available = try #require(Int64(line.split(separator: " ")[1])) * 1024
        let budget = try #require(configuration.ingest.memoryBudgetBytes)
        // Never above half of it (MemAvailable moves between the two reads: 1 GiB of slack;
        // a cgroup limit may make it lower).
        #expect(budget <= available / 2 + (1 << 30), "budget \(budget), MemAvailable \(available)")
        #expect(budget >= IngestConfiguration.minimumMemoryBudgetBytes)
    }

    @Test func machineMemoryTakesTheLowestLimit() {
        let meminfo = "MemTotal:       24000000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n"
        #expect(MachineMemory.usable(meminfo: meminfo, cgroupLimits: ["max\n"]) == Int64(8_000_000) * 1024)
        #expect(MachineMemory.usable(meminfo: meminfo, cgroupLimits: ["max\n", "4294967296\n"]) == Int64(4_294_967_296))
        #expect(MachineMemory.usable(meminfo: nil, cgroupLimits: ["max"]) == nil)
    }

    @Test func processWithABadVariableExitsWithUsageStatus() throws {
        let lake = try TestLake(environment: ["VIDPIPE_MISSING_SIDECAR": "maybe"])
        defer { lake.remove() }
        let clip = lake.incoming + "/clip.mp4"
        try Clip.good(clip)
        let result = try lake.vidpipe(["process", clip])
        #expect(result.status == 2)
        #expect(result.stderr.contains("VIDPIPE_MISSING_SIDECAR"))
        #expect(!FileManager.default.fileExists(atPath: lake.catalog), "nothing was processed")
    }

    /// Every documented variable is in `.env.example`, and every variable `vidpipe config`
    /// prints is documented: the three lists cannot drift apart.
    @Test func everyVariableIsDocumentedAndListed() throws {
        func keys(_ text: String, commented: Bool) -> Set<String> {
            Set(text.split(separator: "\n").compactMap { line -> String? in
                var line = line.trimmingCharacters(in: .whitespaces)
                if commented { guard line.hasPrefix("# ") else { return nil }; line.removeFirst(2) }
                guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { return nil }
                let key = String(line[..<equals])
                return key.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" } ? key : nil
            })
        }
        let documented = keys(try String(contentsOfFile: Self.envFile, encoding: .utf8), commented: false)
        let example = keys(try String(contentsOfFile: Self.envFile.replacingOccurrences(of: "config/vidpipe.env", with: ".env.example"),
                                      encoding: .utf8), commented: true)
        let printed = keys(VidpipeConfiguration.defaults().description, commented: false)
        #expect(documented.subtracting(example).isEmpty, "missing from .env.example: \(documented.subtracting(example).sorted())")
        #expect(printed.subtracting(documented).isEmpty, "undocumented: \(printed.subtracting(documented).sorted())")
    }

    /// The README's configuration table (printed by `scripts/config-table`) names every
    /// variable of `config/vidpipe.env` with the same default, and nothing else.
    @Test func readmeTableGivesEveryVariableWithItsDefault() throws {
        let file = try String(contentsOfFile: Self.envFile, encoding: .utf8)
        var documented: [String: String] = [:]
        for line in file.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            documented[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        let readme = try String(contentsOfFile: Self.envFile.replacingOccurrences(of: "config/vidpipe.env", with: "README.md"), encoding: .utf8)
        let table = try #require(readme.components(separatedBy: "| variable | default | meaning |\n").dropFirst().first,
                                 "README has no configuration table")
        var listed: [String: String] = [:]
        for row in table.split(separator: "\n", omittingEmptySubsequences: false).prefix(while: { $0.hasPrefix("|") }) where row.hasPrefix("| `") {
            // | `NAME` | `DEFAULT` or (not set) | meaning |; a `|` inside a cell is escaped.
            let cells = row.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|").map {
                $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{1}", with: "|")
            }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let value = cells[1] == "(not set)" ? "" : String(cells[1].dropFirst().dropLast())
            #expect(listed.updateValue(value.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">"), forKey: name) == nil,
                    "\(name) listed twice")
        }
        let differing = Set(listed.keys).union(documented.keys).filter { listed[$0] != documented[$0] }.sorted()
        #expect(differing.isEmpty, "README vs config/vidpipe.env: \(differing.map { "\($0): \(listed[$0] ?? "missing") vs \(documented[$0] ?? "missing")" }); run scripts/config-table and paste its output into the README")
    }

    @Test(arguments: [
        "postgres://vidpipe:s3cretPW@db.example.com:5432/vidpipe",
        "postgresql://vidpipe:s3cretPW@db1.example.com:5432,db2.example.com:5432/vidpipe?sslmode=require",
        "postgres://vidpipe:s3cretPW#/x@db.example.com/vidpipe",  // unencoded `#` and `/` in the password
    ])
    func configRedactsSecrets(uri: String) throws {
        let lake = try TestLake(environment: [
            "SMTP_SERVER": "mail.example.com", "SMTP_PASSWORD": "mailPW123", "PG_CONN_URI": uri, "SMTP_USER": "mailer",
        ])
        defer { lake.remove() }
        let result = try lake.vidpipe(["config"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.text.contains("mailPW123"))
        #expect(!result.text.contains("s3cretPW"))
        #expect(result.text.contains("SMTP_USER=mailer"))
        #expect(result.text.contains("SMTP_PASSWORD=<redacted>"))
        let line = result.text.split(separator: "\n").first { $0.hasPrefix("PG_CONN_URI=") }
        #expect(line?.contains("redacted") == true && line?.contains("example.com") == true, "\(line ?? "")")
    }
}
