/// One log line from librdkafka, already stripped of configured secrets.
///
/// The Kafka module does not log by itself: it hands these to a ``KafkaLogHandler`` the
/// application passes in (the daemon forwards them to swift-log).
public struct KafkaLogEntry: Sendable, CustomStringConvertible {
    /// Syslog severity: 0 emergency, 3 error, 4 warning, 6 info, 7 debug.
    public var level: Int
    /// librdkafka's facility, e.g. `FAIL`, `REBALANCE`, `ERROR`.
    public var facility: String
    /// The text, with every configured secret replaced by `***`.
    public var message: String

    public var description: String { "[\(level) \(facility)] \(message)" }
}

/// Receives librdkafka's log lines; called from librdkafka's own threads, so it must be
/// cheap and thread-safe.
public typealias KafkaLogHandler = @Sendable (KafkaLogEntry) -> Void
