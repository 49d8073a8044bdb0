import Catalog
import Foundation
import Testing
import VidpipeTestSupport

/// The contract's writes after a job's gold commit: the gold tasks' own task runs, and the
/// notification outbox's claims and marks.
extension CatalogContractTests {
    @Test(arguments: CatalogBackend.covered)
    func lateTaskRunsReplaceTheSameAttempt(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let batch = Fixture.batch()
            try await catalog.commit(batch)
            let stopped = TaskRunRecord(jobID: batch.job.id, task: "notify", state: .cancelled, startedAt: Fixture.date(1_700_000_010))
            try await catalog.recordTaskRuns([stopped])
            var finished = stopped
            finished.state = .succeeded
            finished.finishedAt = Fixture.date(1_700_000_011.5)
            finished.durationMilliseconds = 1500
            try await catalog.recordTaskRuns([finished])
            try await catalog.recordTaskRuns([])
            #expect(try await catalog.taskRuns(jobID: batch.job.id).filter { $0.task == "notify" } == [finished])
            try await catalog.close()
            #expect(try store.oracle("SELECT state FROM task_runs WHERE task = 'notify'") == ["succeeded"])
        }
    }

    @Test(arguments: CatalogBackend.covered)
    func claimedNotificationsCarryTheirMessageAndAreLeasedUntilMarked(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            let batch = Fixture.batch()
            let id = try #require(batch.notifications.first?.id)
            let created = batch.notifications[0].createdAt
            try await catalog.commit(batch)
            let lease = created.addingTimeInterval(120)
            let due = try await catalog.claimNotifications(dueBy: created.addingTimeInterval(1), limit: 10, leaseUntil: lease)
            #expect(due.map(\.id) == [id])
            #expect(due.first?.message == "Subject: Ready\r\n\r\nbody\r\n")
            #expect(due.first?.nextAttemptAt == lease)
            // Claimed: nobody else gets it while the lease lasts; after it, it is due again.
            #expect(try await catalog.claimNotifications(dueBy: created.addingTimeInterval(2), limit: 10, leaseUntil: lease).isEmpty)
            #expect(try await catalog.claimNotifications(dueBy: lease, limit: 10, leaseUntil: lease.addingTimeInterval(120)).count == 1)

            // A failed attempt waits until its retry time, then is due again.
            let retryAt = created.addingTimeInterval(60)
            try await catalog.markNotificationFailed(id: id, error: "connection refused", retryAt: retryAt)
            #expect(try await catalog.claimNotifications(dueBy: created.addingTimeInterval(30), limit: 10, leaseUntil: lease).isEmpty)
            let again = try await catalog.claimNotifications(dueBy: retryAt, limit: 10, leaseUntil: lease)
            #expect(again.first?.attempts == 1)
            #expect(again.first?.lastError == "connection refused")
            #expect(again.first?.state == .pending)

            let sentAt = Fixture.date(1_700_000_012.000007)
            try await catalog.markNotificationSent(id: id, at: sentAt, path: "/lake/outbox/ready.eml")
            #expect(try await catalog.claimNotifications(dueBy: lease.addingTimeInterval(3600), limit: 10, leaseUntil: lease).isEmpty)
            let sent = try #require(try await catalog.notifications(jobID: batch.job.id).first)
            #expect(sent.state == .sent)
            #expect(sent.sentAt == sentAt)
            #expect(sent.path == "/lake/outbox/ready.eml")
            try await catalog.close()
            #expect(try store.oracle("SELECT state || ' ' || attempts || ' ' || last_error FROM notifications")
                    == ["sent 1 connection refused"])
        }
    }

    /// Notifiers claiming at once never hold the same notification; a lease that ends makes
    /// an unsent one due again.
    @Test(arguments: CatalogBackend.covered)
    func concurrentClaimsAreDisjoint(_ backend: CatalogBackend) async throws {
        try await backend.withStore { store in
            let catalog = try await store.open()
            var expected: Set<String> = []
            for index in 0..<12 {
                var batch = Fixture.batch(jobID: "job-\(index)", requestID: "req-\(index)", videoID: "video-\(index)",
                                          contentHash: String(format: "%064d", index + 1))
                batch.notifications[0].id = "<req-\(index).ready@vidpipe>"
                expected.insert(batch.notifications[0].id)
                try await catalog.commit(batch)
            }
            let now = Fixture.date(1_800_000_000)
            let lease = now.addingTimeInterval(120)
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await catalog.claimNotifications(dueBy: now, limit: 5, leaseUntil: lease).map(\.id) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let claimed = claims.flatMap { $0 }
            #expect(claimed.count == expected.count, "\(claims)")
            #expect(Set(claimed) == expected)
            #expect(try await catalog.claimNotifications(dueBy: now, limit: 50, leaseUntil: lease).isEmpty)
            #expect(try await catalog.claimNotifications(dueBy: lease, limit: 50, leaseUntil: lease.addingTimeInterval(60)).count == expected.count)
            try await catalog.close()
            #expect(try store.count("notifications", where: "next_attempt_at IS NOT NULL") == expected.count)
        }
    }
}
