import Daemon
import Foundation
import Ingest
import Kafka
import Notifications
import Webhooks

/// Everything vidpipe can be told, read once by ``Bootstrap`` and handed to the libraries
/// as typed settings.
///
/// Values come, highest precedence first, from the process environment, a `.env` file in
/// the working directory, the file named by `VIDPIPE_CONFIG_FILE` (default
/// `config/vidpipe.env` when present), and the compiled defaults, which are documented in
/// `config/vidpipe.env`.
public struct VidpipeConfiguration: Sendable, Equatable {
    /// What every job needs: lake, limits, policy, media settings, mail addresses.
    public var ingest: IngestConfiguration
    /// How often the daemon looks into the inbox. Default 1 s. `VIDPIPE_INBOX_POLL_SECONDS`.
    public var inboxPollSeconds: Double
    /// How long the daemon lets in-flight jobs finish after SIGTERM. Default 30 s.
    /// `VIDPIPE_SHUTDOWN_GRACE_SECONDS`.
    public var shutdownGraceSeconds: Double
    /// `trace`…`critical`. Default `info`. `VIDPIPE_LOG_LEVEL`.
    public var logLevel: String
    /// Size at which the daemon log (`<lake>/logs/vidpipe.log`) is rotated. Default 10 MiB.
    /// `VIDPIPE_LOG_MAX_BYTES`.
    public var logMaxBytes: Int64
    /// Rotated daemon logs kept (`vidpipe.log.1` … `.N`); older ones are deleted. Default 5.
    /// `VIDPIPE_LOG_FILES`.
    public var logFiles: Int
    /// Address of the daemon's HTTP endpoint (/metrics, /health, /ready). Default 127.0.0.1.
    /// `VIDPIPE_HTTP_HOST`.
    public var httpHost: String
    /// Its port. Default 9464; 0 picks a free one (written to `<lake>/run/http.address`).
    /// `VIDPIPE_HTTP_PORT`.
    public var httpPort: Int
    /// PostgreSQL catalog (service mode). `PG_CONN_URI`; nil: the lake's SQLite file.
    public var postgresURI: String?
    /// How long one PostgreSQL call (a query, or a job's whole gold transaction) may go
    /// unanswered before it fails retryably. Default 30 s. `VIDPIPE_PG_CALL_DEADLINE_SECONDS`.
    public var postgresCallDeadlineSeconds: Double
    /// SMTP delivery (service mode), from `SMTP_*`; nil: `.eml` files in the lake's outbox.
    public var smtp: SMTPSettings?
    /// The Kafka cluster (service mode), from `KAFKA_*`; nil: embedded mode.
    public var kafka: KafkaConfiguration?
    /// The topics the daemon reads and writes. `KAFKA_TOPIC_*`.
    public var topics: IntakeTopics
    /// How webhooks are signed and retried, `VIDPIPE_WEBHOOK_*`; the URLs are in ``ingest``
    /// (gold writes a delivery per URL).
    public var webhooks: WebhookVariables

    /// The webhook sender's settings, for the endpoints configured now; nil without webhooks.
    public var webhookSettings: WebhookSettings? { webhooks.settings(endpoints: ingest.webhookEndpoints) }

    /// The compiled defaults: embedded mode, nothing configured, half the machine's memory
    /// as the memory budget.
    public static func defaults(datalake: String = "./datalake") -> VidpipeConfiguration {
        var ingest = IngestConfiguration.defaults(datalake: datalake)
        ingest.memoryBudgetBytes = MachineMemory.defaultBudgetBytes
        return VidpipeConfiguration(
            ingest: ingest, inboxPollSeconds: 1, shutdownGraceSeconds: 30, logLevel: "info",
            logMaxBytes: 10 << 20, logFiles: 5, httpHost: "127.0.0.1", httpPort: 9464,
            postgresURI: nil, postgresCallDeadlineSeconds: 30, smtp: nil, kafka: nil, topics: IntakeTopics(),
            webhooks: WebhookVariables())
    }

    public var layout: DatalakeLayout { ingest.layout }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The variable at fault, when one is.
    public var variable: String?
    public var message: String
    public var description: String {
        if let variable { return "configuration: \(variable): \(message)" }
        return "configuration: \(message)"
    }
}
