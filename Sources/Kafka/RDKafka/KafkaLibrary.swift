import CRdKafka

/// Facts about the librdkafka this binary is linked against.
///
/// Debian 12 ships librdkafka 2.0.2, which fails the ApiVersions handshake with current
/// brokers, and 2.4-2.9 crash when a topic comes back with a new id; `scripts/setup` builds
/// a newer one. `vidpipe version` reports the linked version so a wrong library on a host
/// shows up before any message does.
public enum KafkaLibrary {
    /// The runtime version string, e.g. "2.14.2".
    public static var version: String { String(cString: rd_kafka_version_str()) }

    /// The oldest librdkafka known to work with current Kafka-protocol brokers.
    public static let minimumSupportedVersion = "2.10.0"
}
