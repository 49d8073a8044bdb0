import Catalog
import Foundation
import Media
import Notifications
import Scheduler

/// Everything gold records about one job, good or bad, and the mail it sends.
public struct JobResult: Sendable {
    public var job: JobRecord
    public var video: VideoRecord?
    public var streams: [StreamRecord]
    public var findings: [QCFindingRecord]
    public var emails: [EmailMessage]
    public var renditions: [RenditionRecord] = []
    public var sceneCuts: [SceneCutRecord] = []
    public var fingerprint: FingerprintRecord?

    /// The result of a job whose bronze and silver tasks all succeeded.
    static func accepted(ticket: JobTicket, file: ValidatedFile, sidecar: Sidecar?, content: NewContent, probe: ProbeReport,
                         staged: StagedObject, silver: SilverOutputs, policy: PolicyVerdict, context: JobContext) throws -> JobResult {
        let videoID = content.videoID
        let hash = content.hash
        let now = Date()
        let probeJSON = String(decoding: try JSONEncoder.vidpipeCompact.encode(probe), as: UTF8.self)
        let video = VideoRecord(
            id: videoID, contentSHA256: hash.hex, originalName: file.originalName, sourcePath: file.requestedPath,
            bronzePath: staged.sourcePath, sizeBytes: file.sizeBytes, container: probe.container.formatName,
            durationSeconds: probe.container.durationSeconds, bitRate: probe.container.bitRate,
            width: probe.primaryVideo?.width, height: probe.primaryVideo?.height,
            videoCodec: probe.primaryVideo?.codecName, audioCodec: probe.primaryAudio?.codecName,
            probeJSON: probeJSON, sidecarJSON: sidecar?.json, firstSeenAt: now)
        let streams = try probe.streams.map { stream in
            StreamRecord(
                videoID: videoID, index: stream.index, kind: stream.kind.rawValue, codec: stream.codecName, profile: stream.profile,
                width: stream.width, height: stream.height, frameRate: stream.averageFrameRate?.value,
                pixelFormat: stream.pixelFormat, sampleRate: stream.sampleRate, channels: stream.channels,
                channelLayout: stream.channelLayout, bitRate: stream.bitRate, language: stream.language,
                rotationDegrees: stream.rotationDegrees,
                detailJSON: String(decoding: try JSONEncoder.vidpipeCompact.encode(stream), as: UTF8.self))
        }
        let verdict = policy.verdict
        let job = JobRecord(
            id: ticket.id, requestID: ticket.request.requestID, origin: ticket.origin.rawValue, sourcePath: ticket.request.path,
            state: verdict == .fail ? .rejected : .succeeded, verdict: verdict.rawValue,
            errorCode: verdict == .fail ? IngestError.Code.policyRejected.rawValue : nil,
            errorMessage: verdict == .fail ? policy.findings.filter { $0.severity == .fail }.map(\.message).joined(separator: "; ") : nil,
            videoID: videoID, duplicateOf: nil, createdAt: ticket.createdAt, startedAt: ticket.createdAt, finishedAt: now,
            logPath: ticket.log.path)
        let findings = policy.findings.map { finding in
            QCFindingRecord(jobID: ticket.id, videoID: videoID, kind: finding.rule, severity: finding.severity.rawValue,
                            message: finding.message, startSeconds: finding.startSeconds, endSeconds: finding.endSeconds)
        }
        var result = JobResult(job: job, video: video, streams: streams, findings: findings, emails: [])
        result.renditions = silver.result.renditions.map { rendition in
            RenditionRecord(videoID: videoID, name: rendition.name, path: rendition.path, width: rendition.width,
                            height: rendition.height, durationSeconds: rendition.durationSeconds, sizeBytes: rendition.sizeBytes,
                            bitRate: rendition.bitRate, psnr: rendition.psnr, ssim: rendition.ssim, verified: rendition.verified)
        }
        result.sceneCuts = silver.result.enrichment?.sceneCuts.map { SceneCutRecord(videoID: videoID, seconds: $0.seconds, score: $0.score) } ?? []
        result.fingerprint = silver.result.enrichment?.fingerprint.map {
            FingerprintRecord(videoID: videoID, secondsPerHash: $0.secondsPerHash, hashesHex: $0.hexString)
        }
        let composer = NotificationComposer(configuration: context.configuration)
        result.emails = try composer.messages(for: result, ticket: ticket, probe: probe, silver: silver,
                                              missingSidecar: sidecar == nil && context.configuration.missingSidecar == .notify)
        return result
    }

    /// The result of a `deleted` request: nothing to read, a job row and a `deleted` mail.
    static func deleted(ticket: JobTicket, context: JobContext) throws -> JobResult {
        let job = JobRecord(
            id: ticket.id, requestID: ticket.request.requestID, origin: ticket.origin.rawValue, sourcePath: ticket.request.path,
            state: .succeeded, errorMessage: "deleted at the source", createdAt: ticket.createdAt, startedAt: ticket.createdAt,
            finishedAt: Date(), logPath: ticket.log.path)
        var result = JobResult(job: job, video: nil, streams: [], findings: [], emails: [])
        result.emails = try NotificationComposer(configuration: context.configuration)
            .messages(for: result, ticket: ticket, probe: nil, silver: nil, missingSidecar: false)
        return result
    }

    /// The result of a job that stopped before gold: rejected input, a failure, or a duplicate.
    static func stopped(ticket: JobTicket, by run: DAGRunResult, context: JobContext) async throws -> JobResult {
        let now = Date()
        var job = JobRecord(
            id: ticket.id, requestID: ticket.request.requestID, origin: ticket.origin.rawValue, sourcePath: ticket.request.path,
            state: .failed, verdict: nil, errorCode: nil, errorMessage: nil, videoID: nil, duplicateOf: nil,
            createdAt: ticket.createdAt, startedAt: ticket.createdAt, finishedAt: now, logPath: ticket.log.path)
        var findings: [QCFindingRecord] = []
        if let failure = run.failures.first {
            let (code, message) = IngestError.describe(failure.error)
            // Bad input is rejected; transient trouble that outlived its retries is a failure.
            job.state = (failure.error as? IngestError).map { !$0.isRetryable } == true ? .rejected : .failed
            job.verdict = Verdict.fail.rawValue
            job.errorCode = code
            job.errorMessage = message
            findings.append(QCFindingRecord(jobID: ticket.id, videoID: nil, kind: "ingest.\(code)", severity: Verdict.fail.rawValue,
                                            message: message, startSeconds: nil, endSeconds: nil))
        } else if run.skipReason != nil, let hash = run.values[JobArtifacts.hash],
                  let original = try await context.catalog.video(contentSHA256: hash.hex) {
            job.state = .duplicate
            job.duplicateOf = original.id
            job.errorMessage = "same content (sha256 \(hash.hex)) as video \(original.id), first ingested from \(original.sourcePath)"
        } else {
            job.errorCode = IngestError.Code.internalError.rawValue
            job.errorMessage = run.wasCancelled ? "the job was cancelled before it finished" : (run.skipReason ?? "the job stopped without a reason")
        }
        var result = JobResult(job: job, video: nil, streams: [], findings: findings, emails: [])
        if job.state != .duplicate {
            result.emails = try NotificationComposer(configuration: context.configuration)
                .messages(for: result, ticket: ticket, probe: run.values[JobArtifacts.probe], silver: nil, missingSidecar: false)
        }
        return result
    }

    /// Gold's one transaction: video, streams, job, task runs so far, findings and the
    /// pending notifications with their rendered messages (a transactional outbox: mail is
    /// only sent for what is recorded, and what is recorded is eventually sent).
    func commit(to catalog: any Catalog, taskRuns: [TaskRunRecord]) async throws -> CommittedJob {
        let notifications = emails.map { email in
            NotificationRecord(
                id: email.messageID, jobID: job.id, kind: email.headers.first { $0.name == NotificationComposer.kindHeader }.flatMap { NotificationKind(rawValue: $0.value) } ?? .ready,
                recipient: email.to.map(\.address).joined(separator: ", "), subject: email.subject,
                state: .pending, path: nil, createdAt: Date(), sentAt: nil,
                sender: email.from.address, message: String(decoding: email.rfc5322(), as: UTF8.self))
        }
        try await catalog.commit(GoldBatch(video: video, streams: streams, job: job, taskRuns: taskRuns,
                                           findings: findings, notifications: notifications,
                                           renditions: renditions, sceneCuts: sceneCuts, fingerprint: fingerprint))
        return CommittedJob(taskRunsRecorded: taskRuns.count, notificationIDs: notifications.map(\.id))
    }

    /// Tries each committed notification once. A failed delivery stays pending in the
    /// catalog for the notifier to retry; it does not fail the job, which is recorded.
    func deliver(_ committed: CommittedJob, via mailer: any MailTransport, catalog: any Catalog,
                 retryAfter: Duration) async throws -> DeliveryReport {
        var report = DeliveryReport(deliveries: [], deferred: [])
        for email in emails where committed.notificationIDs.contains(email.messageID) {
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

/// What the gold commit wrote.
public struct CommittedJob: Sendable {
    public var taskRunsRecorded: Int
    public var notificationIDs: [String]
}

/// Where each notification went (an `.eml` path in embedded mode), and which wait for a retry.
public struct DeliveryReport: Sendable {
    public var deliveries: [MailDelivery]
    public var deferred: [String]
}
