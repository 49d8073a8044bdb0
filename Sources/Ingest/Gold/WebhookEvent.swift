import Catalog
import Foundation
import Webhooks

/// The body of a webhook: the job's processed event (the same keys as the Kafka `processed`
/// event, see ``ProcessedEvent``) plus what a receiver needs to route and deduplicate it.
///
/// Composed once, before the gold commit, and stored with each delivery row: every attempt
/// to every endpoint sends the same bytes and the same `event_id`.
struct WebhookEvent: Encodable {
    /// What happened to the video; the raw values are the `event` field.
    enum Kind: String, Encodable, CaseIterable {
        case ready = "video.ready"
        case rejected = "video.rejected"
        case modified = "video.modified"
        case deleted = "video.deleted"
        case duplicate = "video.duplicate"

        /// A job's event: a failed job is told as rejected (with `state: failed`), as its mail is.
        init(state: JobState, fileEvent: IngestRequest.FileEvent) {
            switch (state, fileEvent) {
            case (.succeeded, .deleted): self = .deleted
            case (.succeeded, .modified): self = .modified
            case (.succeeded, _): self = .ready
            case (.rejected, _), (.failed, _): self = .rejected
            case (.duplicate, _): self = .duplicate
            }
        }
    }

    var eventID: String
    var kind: Kind
    var occurredAt: Date
    var processed: ProcessedEvent

    enum CodingKeys: String, CodingKey { case eventID = "event_id", kind = "event", occurredAt = "occurred_at" }

    func encode(to encoder: any Encoder) throws {
        try processed.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventID, forKey: .eventID)
        try container.encode(kind, forKey: .kind)
        try container.encode(occurredAt, forKey: .occurredAt)
    }

    /// One pending delivery of this job's event per endpoint, all with one event id.
    static func deliveries(for result: JobResult, ticket: JobTicket, endpoints: [WebhookEndpoint]) throws -> [WebhookDeliveryRecord] {
        guard !endpoints.isEmpty else { return [] }
        let now = Date()
        let event = WebhookEvent(
            eventID: UUID().uuidString.lowercased(), kind: Kind(state: result.job.state, fileEvent: ticket.request.fileEvent),
            occurredAt: now, processed: ProcessedEvent(outcome: JobOutcome(committed: result, ticket: ticket)))
        let body = String(decoding: try JSONEncoder.vidpipeCompact.encode(event), as: UTF8.self)
        return endpoints.map { endpoint in
            WebhookDeliveryRecord(id: UUID().uuidString.lowercased(), eventID: event.eventID, jobID: result.job.id,
                                  eventType: event.kind.rawValue, url: endpoint.url, body: body, createdAt: now)
        }
    }
}
