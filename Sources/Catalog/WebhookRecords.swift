import Foundation

/// One event bound for one webhook endpoint: written in the gold transaction with the body
/// it will send, so the event id and the bytes stay the same however many attempts it takes.
public struct WebhookDeliveryRecord: Codable, Sendable, Equatable {
    /// This delivery's own id (the event to this endpoint).
    public var id: String
    /// The event id the body carries; the same for every endpoint and every attempt.
    public var eventID: String
    public var jobID: String
    /// `video.ready`, `video.rejected`, …
    public var eventType: String
    public var url: String
    /// The JSON body, exactly as it is signed and sent.
    public var body: String
    public var state: WebhookDeliveryState
    public var createdAt: Date
    public var deliveredAt: Date?
    /// Attempts made so far, the last one's HTTP status (nil when no response came) and
    /// error, and when to try again.
    public var attempts: Int
    public var lastStatus: Int?
    public var lastError: String?
    public var nextAttemptAt: Date?

    public init(
        id: String, eventID: String, jobID: String, eventType: String, url: String, body: String,
        state: WebhookDeliveryState = .pending, createdAt: Date, deliveredAt: Date? = nil, attempts: Int = 0,
        lastStatus: Int? = nil, lastError: String? = nil, nextAttemptAt: Date? = nil
    ) {
        self.id = id
        self.eventID = eventID
        self.jobID = jobID
        self.eventType = eventType
        self.url = url
        self.body = body
        self.state = state
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
    }
}

/// One HTTP attempt at a webhook delivery, kept for every attempt (not just the last).
public struct WebhookAttemptRecord: Codable, Sendable, Equatable {
    public var deliveryID: String
    /// 1-based.
    public var attempt: Int
    public var attemptedAt: Date
    /// The response's status; nil when none came (timeout, connection refused, TLS failure).
    public var status: Int?
    public var latencyMilliseconds: Double
    public var error: String?

    public init(deliveryID: String, attempt: Int, attemptedAt: Date, status: Int?, latencyMilliseconds: Double, error: String?) {
        self.deliveryID = deliveryID
        self.attempt = attempt
        self.attemptedAt = attemptedAt
        self.status = status
        self.latencyMilliseconds = latencyMilliseconds
        self.error = error
    }
}

/// How many webhook deliveries are in one state.
public struct WebhookTally: Codable, Sendable, Equatable {
    public var state: WebhookDeliveryState
    public var deliveries: Int64

    public init(state: WebhookDeliveryState, deliveries: Int64) {
        self.state = state
        self.deliveries = deliveries
    }
}

/// What one attempt means for its delivery.
public enum WebhookAttemptVerdict: Sendable, Equatable {
    case delivered
    /// Pending again, due at this time.
    case retry(at: Date)
    case gaveUp
}

extension WebhookDeliveryRecord {
    /// Reads a `webhook_deliveries` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            id: try c.string("id"), eventID: try c.string("event_id"), jobID: try c.string("job_id"),
            eventType: try c.string("event_type"), url: try c.string("url"), body: try c.string("body"),
            state: try c.value("state", of: "webhook_deliveries"), createdAt: try c.date("created_at"),
            deliveredAt: try c.optionalDate("delivered_at"), attempts: try c.int("attempts"),
            lastStatus: try c.optionalInt("last_status"), lastError: try c.optionalString("last_error"),
            nextAttemptAt: try c.optionalDate("next_attempt_at"))
    }
}

extension WebhookAttemptRecord {
    /// Reads a `webhook_attempts` row.
    public init(columns c: some CatalogColumns) throws {
        self.init(
            deliveryID: try c.string("delivery_id"), attempt: try c.int("attempt"), attemptedAt: try c.date("attempted_at"),
            status: try c.optionalInt("status"), latencyMilliseconds: try c.double("latency_ms"), error: try c.optionalString("error"))
    }
}

extension WebhookDeliveryRecord: StoredRecord { package static let table = "webhook_deliveries" }
extension WebhookAttemptRecord: StoredRecord { package static let table = "webhook_attempts" }
extension WebhookDeliveryState: CatalogBindable {}
