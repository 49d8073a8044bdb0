import Catalog
import Foundation
import Testing
import VidpipeTestSupport

/// The webhook outbox on every database: rows written with the gold batch, claimed under a
/// lease, each attempt kept, delivered or given up.
extension CatalogContractTests {
    @Test(arguments: CatalogBackend.covered)
    func webhookDeliveriesAreLeasedAndEveryAttemptIsKept(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            var batch = Fixture.batch()
            let created = Fixture.date(1_700_000_020.5)
            let body = #"{"event":"video.ready","event_id":"evt-1","job_id":"job-1","schema_version":1}"#
            batch.webhooks = ["https://a.example/hook", "https://b.example/hook?token=x"].enumerated().map { index, url in
                WebhookDeliveryRecord(id: "delivery-\(index)", eventID: "evt-1", jobID: batch.job.id, eventType: "video.ready",
                                      url: url, body: body, createdAt: created)
            }
            try await catalog.commit(batch)
            #expect(try await catalog.pendingWebhookCount() == 2)
            let lease = created.addingTimeInterval(15)
            let due = try await catalog.claimWebhookDeliveries(dueBy: created, limit: 10, leaseUntil: lease)
            #expect(due.map(\.id) == ["delivery-0", "delivery-1"])
            #expect(due.allSatisfy { $0.body == body && $0.nextAttemptAt == lease })
            #expect(try await catalog.claimWebhookDeliveries(dueBy: created.addingTimeInterval(1), limit: 10, leaseUntil: lease).isEmpty)

            // delivery-0: a 503, retried, then a 200. delivery-1: a 410, given up.
            let retryAt = created.addingTimeInterval(30)
            try await catalog.recordWebhookAttempt(
                WebhookAttemptRecord(deliveryID: "delivery-0", attempt: 1, attemptedAt: created.addingTimeInterval(1), status: 503,
                                     latencyMilliseconds: 12.5, error: "HTTP 503"), verdict: .retry(at: retryAt))
            try await catalog.recordWebhookAttempt(
                WebhookAttemptRecord(deliveryID: "delivery-1", attempt: 1, attemptedAt: created.addingTimeInterval(1), status: 410,
                                     latencyMilliseconds: 8, error: "HTTP 410"), verdict: .gaveUp)
            #expect(try await catalog.claimWebhookDeliveries(dueBy: created.addingTimeInterval(29), limit: 10, leaseUntil: lease).isEmpty)
            let again = try await catalog.claimWebhookDeliveries(dueBy: retryAt, limit: 10, leaseUntil: retryAt.addingTimeInterval(15))
            #expect(again.map(\.id) == ["delivery-0"] && again.first?.attempts == 1 && again.first?.lastStatus == 503)
            let deliveredAt = Fixture.date(1_700_000_051.25)
            try await catalog.recordWebhookAttempt(
                WebhookAttemptRecord(deliveryID: "delivery-0", attempt: 2, attemptedAt: deliveredAt, status: 200,
                                     latencyMilliseconds: 3, error: nil), verdict: .delivered)

            #expect(try await catalog.pendingWebhookCount() == 0)
            let rows = try await catalog.webhookDeliveries(jobID: batch.job.id)
            #expect(rows.map(\.state) == [.delivered, .failed])
            #expect(rows.first?.deliveredAt == deliveredAt && rows.first?.nextAttemptAt == nil)
            #expect(try await catalog.webhookAttempts(deliveryID: "delivery-0").map(\.status) == [503, 200])
            try await catalog.close()
            #expect(try store.oracle("SELECT count(*) FROM webhook_attempts") == ["3"])
            #expect(try store.oracle("SELECT state FROM webhook_deliveries ORDER BY id") == ["delivered", "failed"])
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func aDeliveryGivenUpUnsentKeepsItsReasonAndIsCountedAndListed(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            var batch = Fixture.batch()
            let created = Fixture.date(1_700_000_020.5)
            batch.webhooks = ["https://kept.example/hook", "https://removed.example/hook?token=x"].enumerated().map { index, url in
                WebhookDeliveryRecord(id: "delivery-\(index)", eventID: "evt-1", jobID: batch.job.id, eventType: "video.ready",
                                      url: url, body: "{}", createdAt: created)
            }
            try await catalog.commit(batch)
            try await catalog.giveUpWebhookDelivery(id: "delivery-1", reason: "endpoint no longer in VIDPIPE_WEBHOOK_URLS")
            // Only a pending delivery is given up: a delivered one keeps its state.
            try await catalog.recordWebhookAttempt(
                WebhookAttemptRecord(deliveryID: "delivery-0", attempt: 1, attemptedAt: created, status: 200, latencyMilliseconds: 3, error: nil),
                verdict: .delivered)
            try await catalog.giveUpWebhookDelivery(id: "delivery-0", reason: "too late")

            #expect(try await catalog.webhookTallies() == [WebhookTally(state: .delivered, deliveries: 1), WebhookTally(state: .failed, deliveries: 1)])
            let givenUp = try await catalog.givenUpWebhookDeliveries(limit: 10)
            #expect(givenUp.map(\.id) == ["delivery-1"] && givenUp.first?.attempts == 0 && givenUp.first?.nextAttemptAt == nil)
            #expect(givenUp.first?.lastError == "endpoint no longer in VIDPIPE_WEBHOOK_URLS")
            #expect(try await catalog.claimWebhookDeliveries(dueBy: created.addingTimeInterval(3600), limit: 10, leaseUntil: created).isEmpty)
            try await catalog.close()
            #expect(try store.oracle("SELECT count(*) FROM webhook_attempts") == ["1"])
            #expect(try store.oracle("SELECT state FROM webhook_deliveries ORDER BY id") == ["delivered", "failed"])
        }
    }
}
