import Catalog
import Foundation
import Media
import Notifications
import Scheduler

/// What the gold commit wrote.
public struct CommittedJob: Sendable {
    public var taskRunsRecorded: Int
    public var notificationIDs: [String]
}

/// The job's silver outputs are where the catalog will name them (see ``LakeStore``).
public struct UploadedSilver: Sendable {
    /// Bytes of those outputs: what publishing them puts into the lake's silver layer.
    public var bytes: Int64
}

/// Where the job's silver outputs now are; nil for a job that has none.
public struct PublishedSilver: Sendable {
    public var folder: String?
}

/// Where each notification went (an `.eml` path in embedded mode), and which wait for a retry.
public struct MailDeliveryReport: Sendable {
    public var deliveries: [MailDelivery]
    public var deferred: [String]
}

/// Gold: summarise the job, commit it to the catalog in one transaction with its mail,
/// then deliver the mail. Its tasks, artifacts and rules.
struct GoldStage: Sendable {
    static let result = Artifact<JobResult>("job_result")
    static let uploaded = Artifact<UploadedSilver>("uploaded")
    static let committed = Artifact<CommittedJob>("committed")
    static let published = Artifact<PublishedSilver>("published")
    static let delivered = Artifact<MailDeliveryReport>("delivered")

    let configuration: IngestConfiguration
    let catalog: any Catalog
    let lake: any LakeStore
    /// Nil in the daemon, where the notifier sends from the committed outbox rows.
    let mailer: (any MailTransport)?

    /// `gold.summarize`: the result of a job whose bronze and silver tasks all succeeded.
    func addSummary(to dag: inout DAGBuilder) {
        dag.task("gold.summarize", inputs: JobTicket.artifact, BronzeStage.file, BronzeStage.sidecar, BronzeStage.newContent,
                 BronzeStage.probe, BronzeStage.staged, SilverStage.media, SilverStage.files, SilverStage.policy, SilverStage.page,
                 output: Self.result, options: .inMemory) {
            ticket, file, lookup, content, probe, staged, media, files, policy, page in
            try JobResult.accepted(
                ticket: ticket, file: file, sidecar: lookup.sidecar, content: content, probe: probe, staged: staged,
                silver: SilverOutputs(result: media, files: files, reportPage: page.path), policy: policy, configuration: configuration)
        }
    }

    /// `gold.catalog` and `gold.notify`: record whatever result the job has, then tell people.
    func addCommit(to dag: inout DAGBuilder) {
        let infrastructure = TaskOptions.infrastructure(configuration)
        // Before the commit, so the catalog never names an object not completely in the store
        // (a lake on disk has nothing to do here: it publishes by a rename after the commit).
        dag.task("gold.upload", inputs: JobTicket.artifact, Self.result, output: Self.uploaded, options: infrastructure) { ticket, result in
            guard let videoID = result.video?.id else { return UploadedSilver(bytes: 0) }
            return UploadedSilver(bytes: try await lake.uploadSilver(jobID: ticket.id, videoID: videoID))
        }
        dag.task("gold.catalog", inputs: JobTicket.artifact, Self.result, Self.uploaded, output: Self.committed,
                 options: infrastructure) { ticket, result, _ in
            var result = result
            result.job.worker = configuration.workerID
            if let videoID = result.video?.id { try await lake.confirmUploads(videoID: videoID) }
            let webhooks = try WebhookEvent.deliveries(for: result, ticket: ticket, endpoints: configuration.webhookEndpoints)
            return try await result.commit(to: catalog, taskRuns: ticket.runs.all(), webhooks: webhooks)
        }
        // After the commit, so the catalog never points at outputs that are not in place
        // for good (``SilverStaging`` finishes a rename a crash interrupted).
        dag.task("gold.publish", inputs: JobTicket.artifact, Self.result, Self.uploaded, Self.committed, output: Self.published,
                 options: infrastructure) { ticket, result, uploaded, _ in
            try await lake.publishSilver(jobID: ticket.id, videoID: result.video?.id)
            // Counted here, whatever the lake: a bucket has no folder to measure afterwards.
            JobMetrics.bytesOut(uploaded.bytes)
            return PublishedSilver(folder: result.video.map { configuration.layout.silverFolder(videoID: $0.id) })
        }
        dag.task("gold.notify", inputs: Self.result, Self.committed, Self.published, output: Self.delivered,
                 options: infrastructure) { result, committed, _ in
            guard let mailer else {
                return MailDeliveryReport(deliveries: [], deferred: committed.notificationIDs)
            }
            return try await result.deliver(committed, via: mailer, catalog: catalog, retryAfter: .seconds(30))
        }
    }
}

extension JobResult {
    /// Gold's one transaction: video, streams, job, task runs so far, findings and the
    /// pending notifications with their rendered messages and the webhook deliveries (a
    /// transactional outbox: mail and webhooks only go out for what is recorded, and what is
    /// recorded eventually goes out).
    func commit(to catalog: any Catalog, taskRuns: [TaskRunRecord], webhooks: [WebhookDeliveryRecord] = []) async throws -> CommittedJob {
        let notifications = emails.map { email in
            NotificationRecord(
                id: email.messageID, jobID: job.id, kind: email.headers.first { $0.name == NotificationComposer.kindHeader }.flatMap { NotificationKind(rawValue: $0.value) } ?? .ready,
                recipient: email.to.map(\.address).joined(separator: ", "), subject: email.subject,
                state: .pending, path: nil, createdAt: Date(), sentAt: nil,
                sender: email.from.address, message: String(decoding: email.rfc5322(), as: UTF8.self))
        }
        try await catalog.commit(GoldBatch(video: video, streams: streams, job: job, taskRuns: taskRuns,
                                           findings: findings, notifications: notifications,
                                           renditions: renditions, sceneCuts: sceneCuts, fingerprint: fingerprint,
                                           webhooks: webhooks))
        return CommittedJob(taskRunsRecorded: taskRuns.count, notificationIDs: notifications.map(\.id))
    }

    /// Tries each committed notification once. A failed delivery stays pending in the
    /// catalog for the notifier to retry; it does not fail the job, which is recorded.
    /// A retry of this task (the catalog failed in between) skips what was already sent.
    func deliver(_ committed: CommittedJob, via mailer: any MailTransport, catalog: any Catalog,
                 retryAfter: Duration) async throws -> MailDeliveryReport {
        var report = MailDeliveryReport(deliveries: [], deferred: [])
        let sent = Set(try await catalog.notifications(jobID: job.id).filter { $0.state == .sent }.map(\.id))
        for email in emails where committed.notificationIDs.contains(email.messageID) && !sent.contains(email.messageID) {
            do {
                let delivery = try await mailer.send(email)
                try await catalog.markNotificationSent(id: email.messageID, at: Date(), path: delivery.destination)
                report.deliveries.append(delivery)
            } catch let error as MailError {
                let retryAt = Date().addingTimeInterval(Double(retryAfter.components.seconds))
                try await catalog.markNotificationFailed(id: email.messageID, error: error.description, retryAt: retryAt)
                report.deferred.append(email.messageID)
            }
        }
        return report
    }
}
