import CRdKafka

/// Facts about the librdkafka this binary is linked against.
///
/// Debian 12 ships librdkafka 2.0.2, which fails the ApiVersions handshake with
/// current brokers; `scripts/setup` builds 2.8. `vidpipe version` reports the
/// linked version so a wrong library on a host shows up before any message does.
public enum KafkaLibrary {
    /// The runtime version string, e.g. "2.8.0".
    public static var version: String { String(cString: rd_kafka_version_str()) }

    /// The oldest librdkafka known to work with current Kafka-protocol brokers.
    public static let minimumSupportedVersion = "2.8.0"
}
