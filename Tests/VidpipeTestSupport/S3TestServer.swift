import Foundation

/// The shared S3-compatible store the tests use (SeaweedFS from `scripts/services/s3 start`):
/// `VIDPIPE_TEST_S3` holds the line that script prints
/// (`AWS_ENDPOINT_URL=… AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… AWS_REGION=…`).
///
/// Without it the S3 tests are skipped, unless `VIDPIPE_REQUIRE_SERVICES=1` says the run
/// must cover them: then they run and fail loudly at ``variables()``.
public enum S3TestServer {
    static let environment = ProcessInfo.processInfo.environment
    static let line = environment["VIDPIPE_TEST_S3"].flatMap { $0.isEmpty ? nil : $0 }
    /// Whether S3 tests run: a store is configured, or the services are required.
    public static let shouldRun = line != nil || environment["VIDPIPE_REQUIRE_SERVICES"] == "1"
    /// Why S3 tests are skipped when ``shouldRun`` is false.
    public static let skipReason = "set VIDPIPE_TEST_S3 to the line `scripts/services/s3 start` prints to run the S3 tests"

    /// The store's `AWS_*` variables.
    ///
    /// - Throws: ``TestEnvironmentError`` when `VIDPIPE_TEST_S3` is missing or incomplete.
    public static func variables() throws -> [String: String] {
        var variables: [String: String] = [:]
        for pair in (line ?? "").split(separator: " ") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            variables[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        for name in ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] where variables[name] == nil {
            throw TestEnvironmentError("VIDPIPE_TEST_S3 lacks \(name): run scripts/services/s3 start and export its line as VIDPIPE_TEST_S3")
        }
        return variables
    }

    /// A bucket name no other test uses.
    public static func uniqueBucket(_ prefix: String = "test") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}
