import Foundation
import Webhooks
import Media
import ObjectStorage

/// What a job needs to know: where the lake is, which requests to accept, how hard to work,
/// the policy and media settings, and who hears about each job.
///
/// The executable builds it from the environment, `.env` and the config file; the defaults
/// here are the ones documented in `config/vidpipe.env`.
public struct IngestConfiguration: Sendable, Equatable {
    /// Root of the data lake: a folder, or `s3://bucket/prefix`. Default `./datalake`.
    public var datalake: String
    /// Local folder of the inbox, outbox, logs and run files. Default: the lake folder, or
    /// `./vidpipe-state` when the lake is in object storage.
    public var stateDirectory: String
    /// Local folder where jobs download `s3://` sources and stage outputs bound for object
    /// storage; each job's part is removed when it ends. Default `<system temp>/vidpipe-scratch`.
    public var scratch: String
    /// The most bytes of `s3://` sources the jobs of this process hold in ``scratch`` at once:
    /// a download waits until its object fits. Nil (the default): no bound beyond the disk.
    public var scratchMaxBytes: Int64?
    /// The SQLite catalog when there is no PostgreSQL. Default `<state directory>/catalog.sqlite`.
    public var catalogPath: String?
    /// The S3-compatible store that `s3://` lake roots, sources and allowed roots live in:
    /// nil when no credentials are configured.
    public var objectStorage: S3Configuration?
    /// Folders or `s3://bucket/prefix` locations that request paths (inbox, Kafka) must
    /// resolve inside. Files named on the command line are the user's explicit choice and
    /// skip this check. Default: `<datalake>/incoming`.
    public var allowedRoots: [String]
    /// Largest accepted input. Default 100 GiB.
    public var maxFileBytes: Int64
    /// Jobs processed at once. Default: twice the number of cores, so one job's waits
    /// (catalog, broker, files) overlap another's CPU work; ``cpuConcurrency`` still bounds
    /// the heavy tasks.
    public var jobConcurrency: Int
    /// CPU-heavy tasks (probe, checksum, decode) at once across all jobs. Default: cores.
    public var cpuConcurrency: Int
    /// The memory, in bytes, the process should stay under: each job's decode (`silver.media`)
    /// waits until its estimate from the probe fits in what is left of the budget after
    /// ``processBaseBytes``; one bigger than all of it runs alone. Default nil: no bound (the
    /// executable always sets one, by default half of the machine's available memory).
    public var memoryBudgetBytes: Int64?
    /// Attempts for tasks that fail with a retryable error. Default 3.
    public var taskAttempts: Int
    /// Upper bound on a single task. Default 1800 s.
    public var taskTimeoutSeconds: Double
    /// How long a task that talks to the catalog, the lake or the mail server keeps retrying
    /// through an outage before the job is left unrecorded to run again later. Default 30 s.
    public var outageToleranceSeconds: Double
    /// What to do when a video arrives without its `<name>.json` sidecar. Default `.notify`.
    public var missingSidecar: MissingSidecarPolicy
    /// Rules the silver policy check applies to every probe and QC report.
    public var policy: MediaPolicy
    /// QC thresholds; the defaults equal the matching ffmpeg filters'.
    public var qc: QCOptions
    /// The rendition ladder. Default 1080p/720p/480p/360p H.264 + AAC.
    public var ladder: RenditionLadder
    /// Poster, sprite and storyboard.
    public var thumbnails: ThumbnailOptions
    /// Who hears about every job, comma-separated, in addition to a request's own address.
    public var emailReceiver: String?
    /// The From address of notifications. Default `vidpipe@localhost`.
    public var emailSender: String
    /// Names this process in the jobs it records (`jobs.worker`), so a fleet sharing one
    /// catalog shows which daemon ran each request. Default: the hostname.
    public var workerID: String
    /// Endpoints told about every job by a signed webhook (`VIDPIPE_WEBHOOK_URLS`); each
    /// gets its own delivery row in the gold transaction. Default: none.
    public var webhookEndpoints: [WebhookEndpoint] = []

    /// Kept out of ``memoryBudgetBytes`` for the process itself (libraries, catalog, Kafka and
    /// mail clients, the jobs outside their decode): `vidpipe process` on a file rejected
    /// before decoding peaks at about 80 MB here.
    public static let processBaseBytes: Int64 = 128 << 20

    /// The smallest budget accepted: the process's own base and room for a small decode.
    public static let minimumMemoryBudgetBytes: Int64 = 256 << 20

    /// What happens to a video that has no metadata sidecar.
    public enum MissingSidecarPolicy: String, Sendable, CaseIterable {
        /// Accept silently.
        case ignore
        /// Accept, and mail a "missing metadata" notice.
        case notify
        /// Reject the video.
        case reject
    }

    /// The compiled defaults, identical to `config/vidpipe.env` (a test keeps them in step).
    public static func defaults(datalake: String = "./datalake") -> IngestConfiguration {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return IngestConfiguration(
            datalake: datalake,
            stateDirectory: datalake.hasPrefix("s3://") ? "./vidpipe-state" : datalake,
            scratch: defaultScratch,
            scratchMaxBytes: nil,
            catalogPath: nil,
            objectStorage: nil,
            allowedRoots: [datalake + "/incoming"],
            maxFileBytes: 100 * 1024 * 1024 * 1024,
            jobConcurrency: 2 * cores,
            cpuConcurrency: cores,
            memoryBudgetBytes: nil,
            taskAttempts: 3,
            taskTimeoutSeconds: 1800,
            outageToleranceSeconds: 30,
            missingSidecar: .notify,
            policy: .default,
            qc: QCOptions(),
            ladder: .default,
            thumbnails: ThumbnailOptions(),
            emailReceiver: nil,
            emailSender: "vidpipe@localhost",
            workerID: hostName()
        )
    }

    /// `vidpipe-scratch` in the system's temporary folder (`TMPDIR`, else `/tmp`).
    public static var defaultScratch: String {
        let temporary = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return (temporary.hasSuffix("/") ? String(temporary.dropLast()) : temporary) + "/vidpipe-scratch"
    }

    /// Where the parts of the lake, the local state and the scratch space are.
    public var layout: DatalakeLayout {
        DatalakeLayout(root: datalake, stateRoot: stateDirectory, scratch: scratch, catalog: catalogPath)
    }

    /// gethostname(2): Foundation's `hostName` may ask DNS for a canonical name.
    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
