import Foundation

/// The independent reader of the daemon's HTTP endpoint: `scripts/metrics_client.py`, which
/// parses `/metrics` with prometheus_client's text parser (installed into the venv by
/// `scripts/services/kafka`).
public struct MetricsOracle: Sendable {
    /// One parsed sample.
    public struct Sample: Decodable, Sendable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    /// A parsed scrape.
    public struct Scrape: Sendable {
        public var samples: [Sample]

        /// The sample of `name` whose labels include `labels`; nil when there is none.
        public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { sample in sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value } }?.value
        }

        /// Every sample of `name`.
        public func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }
    }

    /// `http://host:port`, as the daemon wrote it to `<lake>/run/http.address`.
    public var base: String

    public init(base: String) { self.base = base }

    /// The daemon's endpoint once it has written its address, or nil after `seconds`.
    public static func waitForEndpoint(lake root: String, within seconds: Double = 20) async throws -> MetricsOracle? {
        let file = root + "/run/http.address"
        guard try await eventually(within: seconds, { FileManager.default.fileExists(atPath: file) }) else { return nil }
        let address = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return MetricsOracle(base: "http://" + address)
    }

    public func scrape() throws -> Scrape {
        let output = try run(["metrics", base + "/metrics"])
        return Scrape(samples: try JSONDecoder().decode([Sample].self, from: output))
    }

    /// Status and body of a GET of `path`.
    public func get(_ path: String) throws -> (status: Int, body: String) {
        struct Answer: Decodable { var status: Int; var body: String }
        let answer = try JSONDecoder().decode(Answer.self, from: try run(["get", base + path]))
        return (answer.status, answer.body)
    }

    private func run(_ arguments: [String]) throws -> Data {
        try CommandLineTool.checked(
            PackageDirectory.path(".deps/venv/bin/python"), [PackageDirectory.path("scripts/metrics_client.py")] + arguments
        ).stdout
    }
}
