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
    /// What the job learnt of the file, for its outcome (``JobOutcome``), which the webhook
    /// event composed before the commit carries as well: nil where the job did not get that far.
    public var sha256: String?
    public var durationSeconds: Double?
    public var loudness: QCLoudness?
    public var decode: QCDecodeSummary?

    /// The result of a job whose bronze and silver tasks all succeeded.
    static func accepted(ticket: JobTicket, file: ValidatedFile, sidecar: Sidecar?, content: NewContent, probe: ProbeReport,
                         staged: StagedObject, silver: SilverOutputs, policy: PolicyVerdict, configuration: IngestConfiguration) throws -> JobResult {
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
            probeJSON: probeJSON, sidecarJSON: sidecar?.json, firstSeenAt: now, hlsMasterPath: silver.result.stream?.masterPath)
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
            logPath: ticket.log.path, sidecarJSON: sidecar?.json, retryOf: ticket.retryOf)
        let findings = policy.findings.map { finding in
            QCFindingRecord(jobID: ticket.id, videoID: videoID, kind: finding.rule, severity: finding.severity.rawValue,
                            message: finding.message, startSeconds: finding.startSeconds, endSeconds: finding.endSeconds)
        }
        var result = JobResult(job: job, video: video, streams: streams, findings: findings, emails: [])
        result.sha256 = hash.hex
        result.durationSeconds = probe.container.durationSeconds
        result.loudness = silver.result.qc.loudness
        result.decode = silver.result.qc.decode
        result.renditions = silver.result.renditions.map { rendition in
            RenditionRecord(videoID: videoID, name: rendition.name, path: rendition.path, width: rendition.width,
                            height: rendition.height, durationSeconds: rendition.durationSeconds, sizeBytes: rendition.sizeBytes,
                            bitRate: rendition.bitRate, psnr: rendition.psnr, ssim: rendition.ssim, verified: rendition.verified)
        }
        result.sceneCuts = silver.result.enrichment?.sceneCuts.map { SceneCutRecord(videoID: videoID, seconds: $0.seconds, score: $0.score) } ?? []
        result.fingerprint = silver.result.enrichment?.fingerprint.map {
            FingerprintRecord(videoID: videoID, secondsPerHash: $0.secondsPerHash, hashesHex: $0.hexString)
        }
        let composer = NotificationComposer(configuration: configuration)
        result.emails = try composer.messages(for: result, ticket: ticket, probe: probe, silver: silver,
                                              missingSidecar: sidecar == nil && configuration.missingSidecar == .notify)
        return result
    }

    /// The result of a `deleted` request: nothing to read, a job row and a `deleted` mail.
    static func deleted(ticket: JobTicket, configuration: IngestConfiguration) throws -> JobResult {
        let job = JobRecord(
            id: ticket.id, requestID: ticket.request.requestID, origin: ticket.origin.rawValue, sourcePath: ticket.request.path,
            state: .succeeded, errorMessage: "deleted at the source", createdAt: ticket.createdAt, startedAt: ticket.createdAt,
            finishedAt: Date(), logPath: ticket.log.path, retryOf: ticket.retryOf)
        var result = JobResult(job: job, video: nil, streams: [], findings: [], emails: [])
        result.emails = try NotificationComposer(configuration: configuration)
            .messages(for: result, ticket: ticket, probe: nil, silver: nil, missingSidecar: false)
        return result
    }

    /// The result of a job that stopped before gold: rejected input, a failure, or a duplicate.
    static func stopped(ticket: JobTicket, by run: DAGRunResult, configuration: IngestConfiguration,
                        catalog: any Catalog) async throws -> JobResult {
        let now = Date()
        var job = JobRecord(
            id: ticket.id, requestID: ticket.request.requestID, origin: ticket.origin.rawValue, sourcePath: ticket.request.path,
            state: .failed, verdict: nil, errorCode: nil, errorMessage: nil, videoID: nil, duplicateOf: nil,
            createdAt: ticket.createdAt, startedAt: ticket.createdAt, finishedAt: now, logPath: ticket.log.path,
            sidecarJSON: run.values[BronzeStage.sidecar]?.sidecar?.json, retryOf: ticket.retryOf)
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
        } else if run.skipReason != nil, let hash = run.values[BronzeStage.hash],
                  let original = try await catalog.video(contentSHA256: hash.hex) {
            job.state = .duplicate
            job.duplicateOf = original.id
            job.errorMessage = "same content (sha256 \(hash.hex)) as video \(original.id), first ingested from \(original.sourcePath)"
        } else {
            job.errorCode = IngestError.Code.internalError.rawValue
            job.errorMessage = run.wasCancelled ? "the job was cancelled before it finished" : (run.skipReason ?? "the job stopped without a reason")
        }
        var result = JobResult(job: job, video: nil, streams: [], findings: findings, emails: [])
        result.sha256 = run.values[BronzeStage.hash]?.hex
        result.durationSeconds = run.values[BronzeStage.probe]?.container.durationSeconds
        result.loudness = run.values[SilverStage.media]?.qc.loudness
        result.decode = run.values[SilverStage.media]?.qc.decode
        if job.state != .duplicate {
            result.emails = try NotificationComposer(configuration: configuration)
                .messages(for: result, ticket: ticket, probe: run.values[BronzeStage.probe], silver: nil, missingSidecar: false)
        }
        return result
    }
}
