import Foundation

/// A video file in the gold layer, identified by the SHA-256 of its bytes.
///
/// Rows are written once and never altered: a second job for the same content links to
/// the existing row instead.
public struct VideoRecord: Codable, Sendable, Equatable {
    /// A UUID string chosen by the pipeline.
    public var id: String
    /// Lowercase hex SHA-256 of the file's bytes (64 characters).
    public var contentSHA256: String
    public var originalName: String
    public var sourcePath: String
    public var bronzePath: String
    public var sizeBytes: Int64
    public var container: String?
    public var durationSeconds: Double?
    public var bitRate: Int64?
    public var width: Int?
    public var height: Int?
    public var videoCodec: String?
    public var audioCodec: String?
    /// The prober's full output, as JSON text.
    public var probeJSON: String
    /// The sidecar metadata file, as JSON text, if one came with the video.
    public var sidecarJSON: String?
    public var firstSeenAt: Date
    /// The HLS master playlist in the video's silver folder; nil when no stream was written.
    public var hlsMasterPath: String?

    public init(
        id: String, contentSHA256: String, originalName: String, sourcePath: String, bronzePath: String,
        sizeBytes: Int64, container: String? = nil, durationSeconds: Double? = nil, bitRate: Int64? = nil,
        width: Int? = nil, height: Int? = nil, videoCodec: String? = nil, audioCodec: String? = nil,
        probeJSON: String, sidecarJSON: String? = nil, firstSeenAt: Date, hlsMasterPath: String? = nil
    ) {
        self.hlsMasterPath = hlsMasterPath
        self.id = id
        self.contentSHA256 = contentSHA256
        self.originalName = originalName
        self.sourcePath = sourcePath
        self.bronzePath = bronzePath
        self.sizeBytes = sizeBytes
        self.container = container
        self.durationSeconds = durationSeconds
        self.bitRate = bitRate
        self.width = width
        self.height = height
        self.videoCodec = videoCodec
        self.audioCodec = audioCodec
        self.probeJSON = probeJSON
        self.sidecarJSON = sidecarJSON
        self.firstSeenAt = firstSeenAt
    }
}

/// One elementary stream of a video, keyed by the video and the container's stream index.
public struct StreamRecord: Codable, Sendable, Equatable {
    public var videoID: String
    public var index: Int
    /// "video", "audio", "subtitle", "data", ...
    public var kind: String
    public var codec: String?
    public var profile: String?
    public var width: Int?
    public var height: Int?
    public var frameRate: Double?
    public var pixelFormat: String?
    public var sampleRate: Int?
    public var channels: Int?
    public var channelLayout: String?
    public var bitRate: Int64?
    public var language: String?
    public var rotationDegrees: Double?
    /// Everything else the prober reported for the stream, as JSON text.
    public var detailJSON: String

    public init(
        videoID: String, index: Int, kind: String, codec: String? = nil, profile: String? = nil,
        width: Int? = nil, height: Int? = nil, frameRate: Double? = nil, pixelFormat: String? = nil,
        sampleRate: Int? = nil, channels: Int? = nil, channelLayout: String? = nil, bitRate: Int64? = nil,
        language: String? = nil, rotationDegrees: Double? = nil, detailJSON: String = "{}"
    ) {
        self.videoID = videoID
        self.index = index
        self.kind = kind
        self.codec = codec
        self.profile = profile
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.pixelFormat = pixelFormat
        self.sampleRate = sampleRate
        self.channels = channels
        self.channelLayout = channelLayout
        self.bitRate = bitRate
        self.language = language
        self.rotationDegrees = rotationDegrees
        self.detailJSON = detailJSON
    }
}

/// One run of the pipeline over one source file.
public struct JobRecord: Codable, Sendable, Equatable {
    public var id: String
    /// The caller's request id (e.g. from a Kafka message); unique across jobs when present,
    /// so a redelivered request can be recognised.
    public var requestID: String?
    /// "cli", "inbox" or "kafka".
    public var origin: String
    public var sourcePath: String
    public var state: JobState
    /// "pass", "warn" or "fail" when quality control ran.
    public var verdict: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var videoID: String?
    /// The id of the video this job's content duplicates, when `state` is `.duplicate`.
    public var duplicateOf: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var logPath: String?
    /// The metadata the video arrived with (its sidecar merged with the request's), as JSON.
    public var sidecarJSON: String?
    /// The failed or rejected job this one runs again (`vidpipe retry`).
    public var retryOf: String?
    /// The daemon or command that ran the job (``IngestConfiguration/workerID``).
    public var worker: String?

    public init(
        id: String, requestID: String? = nil, origin: String, sourcePath: String, state: JobState,
        verdict: String? = nil, errorCode: String? = nil, errorMessage: String? = nil, videoID: String? = nil,
        duplicateOf: String? = nil, createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil,
        logPath: String? = nil, sidecarJSON: String? = nil, retryOf: String? = nil, worker: String? = nil
    ) {
        self.id = id
        self.requestID = requestID
        self.origin = origin
        self.sourcePath = sourcePath
        self.state = state
        self.verdict = verdict
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.videoID = videoID
        self.duplicateOf = duplicateOf
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.logPath = logPath
        self.sidecarJSON = sidecarJSON
        self.retryOf = retryOf
        self.worker = worker
    }
}

/// One attempt of one task of a job's DAG.
public struct TaskRunRecord: Codable, Sendable, Equatable {
    public var jobID: String
    public var task: String
    /// 1 for the first attempt.
    public var attempt: Int
    public var state: TaskRunState
    public var startedAt: Date?
    public var finishedAt: Date?
    public var durationMilliseconds: Double?
    public var error: String?

    public init(
        jobID: String, task: String, attempt: Int = 1, state: TaskRunState, startedAt: Date? = nil,
        finishedAt: Date? = nil, durationMilliseconds: Double? = nil, error: String? = nil
    ) {
        self.jobID = jobID
        self.task = task
        self.attempt = attempt
        self.state = state
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMilliseconds = durationMilliseconds
        self.error = error
    }
}

/// One quality-control or policy finding of a job. Findings keep the order they were committed in.
public struct QCFindingRecord: Codable, Sendable, Equatable {
    public var jobID: String
    public var videoID: String?
    /// A dotted kind such as "policy.container" or "qc.black".
    public var kind: String
    /// "info", "warn" or "fail".
    public var severity: String
    public var message: String
    public var startSeconds: Double?
    public var endSeconds: Double?

    public init(
        jobID: String, videoID: String? = nil, kind: String, severity: String, message: String,
        startSeconds: Double? = nil, endSeconds: Double? = nil
    ) {
        self.jobID = jobID
        self.videoID = videoID
        self.kind = kind
        self.severity = severity
        self.message = message
        self.startSeconds = startSeconds
        self.endSeconds = endSeconds
    }
}

/// An email the pipeline sent or means to send about a job.
public struct NotificationRecord: Codable, Sendable, Equatable {
    /// The email's Message-ID, stable for a job and kind, so a resend is recognisable.
    public var id: String
    public var jobID: String
    public var kind: NotificationKind
    public var recipient: String
    public var subject: String
    public var state: NotificationState
    /// The .eml file written in embedded (outbox) mode.
    public var path: String?
    public var createdAt: Date
    public var sentAt: Date?
    /// The envelope sender and the rendered RFC 5322 message: stored with the row in the
    /// gold transaction, so a notifier can deliver it whenever the mail server is back.
    public var sender: String?
    public var message: String?
    /// Failed delivery attempts so far, the last error, and when to try again.
    public var attempts: Int
    public var lastError: String?
    public var nextAttemptAt: Date?

    public init(
        id: String, jobID: String, kind: NotificationKind, recipient: String, subject: String, state: NotificationState,
        path: String? = nil, createdAt: Date, sentAt: Date? = nil, sender: String? = nil, message: String? = nil,
        attempts: Int = 0, lastError: String? = nil, nextAttemptAt: Date? = nil
    ) {
        self.id = id
        self.jobID = jobID
        self.kind = kind
        self.recipient = recipient
        self.subject = subject
        self.state = state
        self.path = path
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.sender = sender
        self.message = message
        self.attempts = attempts
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
    }
}

/// Everything the gold layer records about one job, written in one transaction.
public struct GoldBatch: Sendable {
    /// The job's video, when the job produced or identified one. If a video with the same
    /// content hash is already stored, that row is kept and the job is linked to it.
    public var video: VideoRecord?
    /// Streams of `video`; ignored when the video was already stored.
    public var streams: [StreamRecord]
    public var job: JobRecord
    public var taskRuns: [TaskRunRecord]
    public var findings: [QCFindingRecord]
    public var notifications: [NotificationRecord]
    /// Silver outputs of `video`; like streams, ignored when the video was already stored.
    public var renditions: [RenditionRecord]
    public var sceneCuts: [SceneCutRecord]
    public var fingerprint: FingerprintRecord?
    /// The job's webhook event, one pending delivery per endpoint (the webhook outbox).
    public var webhooks: [WebhookDeliveryRecord]

    public init(
        video: VideoRecord? = nil, streams: [StreamRecord] = [], job: JobRecord, taskRuns: [TaskRunRecord] = [],
        findings: [QCFindingRecord] = [], notifications: [NotificationRecord] = [],
        renditions: [RenditionRecord] = [], sceneCuts: [SceneCutRecord] = [], fingerprint: FingerprintRecord? = nil,
        webhooks: [WebhookDeliveryRecord] = []
    ) {
        self.webhooks = webhooks
        self.video = video
        self.streams = streams
        self.job = job
        self.taskRuns = taskRuns
        self.findings = findings
        self.notifications = notifications
        self.renditions = renditions
        self.sceneCuts = sceneCuts
        self.fingerprint = fingerprint
    }
}
