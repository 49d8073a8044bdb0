import Foundation

/// The gold layer's record of videos, jobs and what happened in them.
///
/// Implementations never delete or overwrite what they store: a committed job is final,
/// and a video row is written once per content hash.
public protocol Catalog: Sendable {
    /// Applies the migrations this build knows that the store has not seen yet. Idempotent;
    /// safe to run from two processes at once.
    func migrate() async throws
    func video(contentSHA256: String) async throws -> VideoRecord?
    func video(id: String) async throws -> VideoRecord?
    /// Records a job and everything it produced in one transaction.
    ///
    /// Re-committing a job id that is already stored changes nothing (a redelivered batch).
    /// A batch whose `job.requestID` already belongs to another job throws
    /// ``CatalogError/Code/duplicateRequest`` and changes nothing.
    func commit(_ batch: GoldBatch) async throws
    func job(id: String) async throws -> JobRecord?
    /// The job recorded for a caller's request id, so a redelivered request can be answered
    /// without running the pipeline again.
    func job(requestID: String) async throws -> JobRecord?
    /// Jobs for a source path, newest first.
    func jobs(sourcePath: String) async throws -> [JobRecord]
    /// The newest jobs, newest first.
    func recentJobs(limit: Int) async throws -> [JobRecord]
    /// Jobs matching `query`, newest first.
    func jobs(matching query: JobQuery) async throws -> [JobRecord]
    /// Jobs of a video: the one that stored it and those found to duplicate it, newest first.
    func jobs(videoID: String) async throws -> [JobRecord]
    /// Jobs that run `jobID` again (``JobRecord/retryOf``), oldest first.
    func retries(of jobID: String) async throws -> [JobRecord]
    /// Jobs counted by state and verdict, all of them or those finished since a time.
    func jobTallies(finishedSince since: Date?) async throws -> [JobTally]
    /// Task runs of a job, in order of task name and attempt.
    func taskRuns(jobID: String) async throws -> [TaskRunRecord]
    /// Findings of a job, in the order they were committed.
    func findings(jobID: String) async throws -> [QCFindingRecord]
    /// Streams of a video, by stream index.
    func streams(videoID: String) async throws -> [StreamRecord]
    /// Notifications of a job, oldest first.
    func notifications(jobID: String) async throws -> [NotificationRecord]
    /// Renditions of a video, by name.
    func renditions(videoID: String) async throws -> [RenditionRecord]
    /// Scene cuts of a video, in time order.
    func sceneCuts(videoID: String) async throws -> [SceneCutRecord]
    /// Every stored fingerprint: near-duplicate search compares against all of them.
    func fingerprints() async throws -> [FingerprintRecord]
    /// Records task runs that finished after their job's gold commit (the gold tasks' own
    /// runs). A run already recorded for the same job, task and attempt is replaced.
    func recordTaskRuns(_ runs: [TaskRunRecord]) async throws
    /// Takes up to `limit` pending notifications due for a delivery attempt at `date`, oldest
    /// first, and hides them from every other claim until `leaseUntil` (their
    /// `nextAttemptAt`): notifiers sharing a catalog never hold the same one. A notification
    /// whose holder stops before marking it is due again when the lease ends.
    func claimNotifications(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [NotificationRecord]
    /// Records a failed delivery attempt; the notification stays pending until `retryAt`.
    func markNotificationFailed(id: String, error: String, retryAt: Date) async throws
    /// Marks a pending notification delivered; `path` is where it went (an `.eml` file).
    func markNotificationSent(id: String, at: Date, path: String?) async throws
    /// Notifications not yet delivered (due now or waiting for a retry). Also the daemon's
    /// readiness check: a cheap statement that needs the database to answer.
    func pendingNotificationCount() async throws -> Int
    /// Takes up to `limit` pending webhook deliveries due at `date`, oldest first, leased
    /// until `leaseUntil` exactly like ``claimNotifications(dueBy:limit:leaseUntil:)``.
    func claimWebhookDeliveries(dueBy date: Date, limit: Int, leaseUntil: Date) async throws -> [WebhookDeliveryRecord]
    /// Records one HTTP attempt and what it means for the delivery, in one transaction.
    func recordWebhookAttempt(_ attempt: WebhookAttemptRecord, verdict: WebhookAttemptVerdict) async throws
    /// Gives up a pending delivery without sending it (its endpoint was removed from the
    /// configuration), with `reason` as its last error; no attempt is recorded.
    func giveUpWebhookDelivery(id: String, reason: String) async throws
    /// Webhook deliveries counted by state.
    func webhookTallies() async throws -> [WebhookTally]
    /// The newest given-up deliveries, at most `limit`.
    func givenUpWebhookDeliveries(limit: Int) async throws -> [WebhookDeliveryRecord]
    /// Webhook deliveries of a job, by creation and endpoint.
    func webhookDeliveries(jobID: String) async throws -> [WebhookDeliveryRecord]
    /// Every attempt at a delivery, in order.
    func webhookAttempts(deliveryID: String) async throws -> [WebhookAttemptRecord]
    /// Webhook deliveries neither delivered nor given up.
    func pendingWebhookCount() async throws -> Int
    func close() async throws
}
