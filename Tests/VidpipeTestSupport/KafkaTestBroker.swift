import Foundation

/// The broker the Kafka tests use: `VIDPIPE_TEST_KAFKA` (bootstrap servers), exported by
/// `scripts/test` after `scripts/services/kafka start`.
///
/// Without the variable the Kafka tests are skipped, unless `VIDPIPE_REQUIRE_SERVICES=1`
/// says the run must cover them: then they run and fail loudly at ``servers()``.
public enum KafkaTestBroker {
    /// The bootstrap servers, when the environment names them.
    public static let bootstrap = ProcessInfo.processInfo.environment["VIDPIPE_TEST_KAFKA"].flatMap { $0.isEmpty ? nil : $0 }
    /// Whether Kafka tests run: a broker is configured, or the services are required.
    public static let isEnabled = bootstrap != nil || ProcessInfo.processInfo.environment["VIDPIPE_REQUIRE_SERVICES"] == "1"
    /// Why Kafka tests are skipped when ``isEnabled`` is false.
    public static let skipReason = "VIDPIPE_TEST_KAFKA is not set (run scripts/services/kafka start)"

    /// The bootstrap servers.
    ///
    /// - Throws: ``TestEnvironmentError`` when no broker is configured.
    public static func servers() throws -> String {
        guard let bootstrap else { throw TestEnvironmentError("VIDPIPE_REQUIRE_SERVICES=1 but VIDPIPE_TEST_KAFKA is not set") }
        return bootstrap
    }

    /// `prefix-<8 hex digits>`: a topic or group name no other test uses.
    public static func uniqueName(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Client properties for tests: tansu holds a group join for session.timeout.ms / 2, so
    /// keep joins short.
    public static let clientProperties = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
}
