import Daemon
import Foundation
import Ingest
import Kafka
import Media
import Notifications
import ObjectStorage

extension VidpipeConfiguration {
    /// Loads the configuration: process environment over `.env` over the config file over
    /// the compiled defaults. Throws on the first unusable value, naming the variable.
    /// The executable passes the process environment; this module never reads it itself.
    public static func load(
        environment: [String: String],
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ConfigurationError) -> VidpipeConfiguration {
        try from(values: mergedValues(environment: environment, workingDirectory: workingDirectory), workingDirectory: workingDirectory)
    }

    /// Every variable from the environment, `.env` and the config file, merged with the same
    /// precedence as ``load(environment:workingDirectory:)``.
    static func mergedValues(environment: [String: String], workingDirectory: String) throws(ConfigurationError) -> [String: String] {
        let configFile = environment["VIDPIPE_CONFIG_FILE"] ?? workingDirectory + "/config/vidpipe.env"
        if environment["VIDPIPE_CONFIG_FILE"] != nil, !FileManager.default.fileExists(atPath: configFile) {
            throw ConfigurationError(variable: "VIDPIPE_CONFIG_FILE", message: "\(configFile) does not exist")
        }
        var merged = try EnvironmentFile.load(path: configFile) ?? [:]
        merged.merge(try EnvironmentFile.load(path: workingDirectory + "/.env") ?? [:]) { _, new in new }
        merged.merge(environment) { _, new in new }
        return merged
    }

    /// Builds a configuration from already-merged variables; unknown variables are ignored.
    public static func from(values: [String: String], workingDirectory: String) throws(ConfigurationError) -> VidpipeConfiguration {
        let reader = VariableReader(values: values)
        let datalake = try lakeRoot(reader, workingDirectory: workingDirectory)
        var config = VidpipeConfiguration.defaults(datalake: datalake)
        config.ingest = try ingest(reader, datalake: datalake, workingDirectory: workingDirectory)
        config.inboxPollSeconds = try reader.seconds("VIDPIPE_INBOX_POLL_SECONDS") ?? config.inboxPollSeconds
        config.shutdownGraceSeconds = try reader.seconds("VIDPIPE_SHUTDOWN_GRACE_SECONDS") ?? config.shutdownGraceSeconds
        config.postgresCallDeadlineSeconds = try reader.seconds("VIDPIPE_PG_CALL_DEADLINE_SECONDS") ?? config.postgresCallDeadlineSeconds
        if let level = reader.string("VIDPIPE_LOG_LEVEL") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level) else {
                throw ConfigurationError(variable: "VIDPIPE_LOG_LEVEL", message: "\"\(level)\" is not one of \(levels.joined(separator: ", "))")
            }
            config.logLevel = level
        }
        config.logMaxBytes = try reader.byteSize("VIDPIPE_LOG_MAX_BYTES", minimum: 4096).flatMap { $0 > 0 ? $0 : nil } ?? config.logMaxBytes
        config.logFiles = Int(try reader.integer("VIDPIPE_LOG_FILES", minimum: 1) ?? Int64(config.logFiles))
        config.httpHost = reader.string("VIDPIPE_HTTP_HOST") ?? config.httpHost
        if let text = reader.string("VIDPIPE_HTTP_PORT") {
            guard let port = Int(text), (0...65_535).contains(port) else {
                throw ConfigurationError(variable: "VIDPIPE_HTTP_PORT", message: "\(text.debugDescription) is not a port number (0 picks a free one)")
            }
            config.httpPort = port
        }
        config.postgresURI = reader.string("PG_CONN_URI")
        config.smtp = try SMTPSettings.fromVariables(reader)
        do {
            config.kafka = try KafkaConfiguration.fromVariables(values)
        } catch {
            throw ConfigurationError(variable: nil, message: "\(error)")
        }
        config.topics = IntakeTopics.fromVariables(reader)
        (config.ingest.webhookEndpoints, config.webhooks) = try WebhookVariables.fromVariables(reader)
        return config
    }

    private static func ingest(_ reader: VariableReader, datalake: String,
                               workingDirectory: String) throws(ConfigurationError) -> IngestConfiguration {
        var config = IngestConfiguration.defaults(datalake: datalake)
        try objectStorage(reader, into: &config, workingDirectory: workingDirectory)
        config.maxFileBytes = try reader.integer("VIDPIPE_MAX_FILE_BYTES", minimum: 1) ?? config.maxFileBytes
        if let jobs = try reader.integer("VIDPIPE_JOB_CONCURRENCY", minimum: 0), jobs > 0 { config.jobConcurrency = Int(jobs) }
        if let cpu = try reader.integer("VIDPIPE_CPU_CONCURRENCY", minimum: 0), cpu > 0 { config.cpuConcurrency = Int(cpu) }
        let budget = try reader.byteSize("VIDPIPE_MEMORY_BUDGET", minimum: IngestConfiguration.minimumMemoryBudgetBytes)
        config.memoryBudgetBytes = budget.flatMap { $0 > 0 ? $0 : nil } ?? MachineMemory.defaultBudgetBytes
        config.taskAttempts = Int(try reader.integer("VIDPIPE_TASK_ATTEMPTS", minimum: 1) ?? Int64(config.taskAttempts))
        config.taskTimeoutSeconds = try reader.seconds("VIDPIPE_TASK_TIMEOUT_SECONDS") ?? config.taskTimeoutSeconds
        config.outageToleranceSeconds = try reader.seconds("VIDPIPE_OUTAGE_TOLERANCE_SECONDS") ?? config.outageToleranceSeconds
        config.missingSidecar = try reader.choice("VIDPIPE_MISSING_SIDECAR", of: IngestConfiguration.MissingSidecarPolicy.self)
            ?? config.missingSidecar
        config.emailReceiver = try address(reader, "EMAIL_RECEIVER")
        config.emailSender = try address(reader, "EMAIL_SENDER") ?? config.emailSender
        config.workerID = reader.string("VIDPIPE_WORKER_ID") ?? config.workerID
        config.policy = try policy(reader, defaults: config.policy)
        config.qc = try qualityChecks(reader, defaults: config.qc)
        if let text = reader.string("VIDPIPE_RENDITIONS") {
            config.ladder.rungs = try LadderSyntax.parse(text, variable: "VIDPIPE_RENDITIONS")
        }
        config.ladder.preset = reader.string("VIDPIPE_X264_PRESET") ?? config.ladder.preset
        if let seconds = try reader.number("VIDPIPE_SEGMENT_SECONDS") {
            // Apple's HLS authoring guide asks for 6 s; a minute is far past any player's buffer.
            guard seconds == 0 || (0.5...60).contains(seconds) else {
                throw ConfigurationError(variable: "VIDPIPE_SEGMENT_SECONDS",
                                         message: "\(seconds) is not a segment length: give 0.5 to 60 seconds, or 0 for no HLS stream")
            }
            config.ladder.segmentSeconds = seconds == 0 ? nil : seconds
        }
        if let dash = try reader.flag("VIDPIPE_DASH") {
            // The manifest names the HLS stream's segments: there is none without them.
            guard !dash || config.ladder.segmentSeconds != nil else {
                throw ConfigurationError(variable: "VIDPIPE_DASH",
                                         message: "1 needs the HLS segments it names, but VIDPIPE_SEGMENT_SECONDS=0 turns them off: set VIDPIPE_SEGMENT_SECONDS above 0 or VIDPIPE_DASH=0")
            }
            config.ladder.writesDASHManifest = dash
        }
        config.thumbnails.tiles = Int(try reader.integer("VIDPIPE_SPRITE_TILES", minimum: 1) ?? Int64(config.thumbnails.tiles))
        config.thumbnails.columns = Int(try reader.integer("VIDPIPE_SPRITE_COLUMNS", minimum: 1) ?? Int64(config.thumbnails.columns))
        return config
    }

    /// `VIDPIPE_DATALAKE`: an absolute folder, or `s3://bucket/prefix` without a trailing slash.
    private static func lakeRoot(_ reader: VariableReader, workingDirectory: String) throws(ConfigurationError) -> String {
        guard let text = reader.string("VIDPIPE_DATALAKE") else { return absolute("./datalake", relativeTo: workingDirectory) }
        guard text.hasPrefix("s3://") else { return absolute(text, relativeTo: workingDirectory) }
        do {
            let location = try S3Location(uri: text)
            guard !location.key.isEmpty else { return "s3://\(location.bucket)" }
            var key = location.key
            while key.hasSuffix("/") { key.removeLast() }
            return "s3://\(location.bucket)/\(key)"
        } catch {
            throw ConfigurationError(variable: "VIDPIPE_DATALAKE", message: error.message)
        }
    }

    /// The store's credentials, where local state and scratch go, and the allowed roots,
    /// which may name `s3://` prefixes: any `s3://` location needs credentials.
    private static func objectStorage(_ reader: VariableReader, into config: inout IngestConfiguration,
                                      workingDirectory: String) throws(ConfigurationError) {
        config.objectStorage = try S3Configuration.fromVariables(reader)
        if let folder = reader.string("VIDPIPE_STATE_DIR") { config.stateDirectory = folder }
        config.stateDirectory = absolute(config.stateDirectory, relativeTo: workingDirectory)
        config.scratch = absolute(reader.string("VIDPIPE_SCRATCH") ?? config.scratch, relativeTo: workingDirectory)
        config.scratchMaxBytes = try reader.byteSize("VIDPIPE_SCRATCH_MAX_BYTES", minimum: 1).flatMap { $0 > 0 ? $0 : nil }
        config.catalogPath = reader.string("VIDPIPE_CATALOG").map { absolute($0, relativeTo: workingDirectory) }
        if let roots = reader.string("VIDPIPE_ALLOWED_ROOTS") {
            config.allowedRoots = []
            for root in AllowedRootsSyntax.split(roots) {
                guard root.hasPrefix("s3://") else {
                    config.allowedRoots.append(absolute(root, relativeTo: workingDirectory))
                    continue
                }
                do { config.allowedRoots.append(try S3Location(uri: root).description) } catch {
                    throw ConfigurationError(variable: "VIDPIPE_ALLOWED_ROOTS", message: error.message)
                }
            }
        }
        if config.objectStorage == nil {
            if config.datalake.hasPrefix("s3://") {
                throw ConfigurationError(variable: "VIDPIPE_DATALAKE",
                                         message: "\(config.datalake) is in object storage, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
            }
            if let root = config.allowedRoots.first(where: { $0.hasPrefix("s3://") }) {
                throw ConfigurationError(variable: "VIDPIPE_ALLOWED_ROOTS",
                                         message: "\(root) is in object storage, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
            }
        }
    }

    /// A mail address, checked by the rule mail delivery uses, so a typo fails at start
    /// instead of in every job's notification.
    private static func address(_ reader: VariableReader, _ name: String) throws(ConfigurationError) -> String? {
        guard let text = reader.string(name) else { return nil }
        guard (try? EmailAddress(text)) != nil else {
            throw ConfigurationError(variable: name, message: "\(text.debugDescription) is not a mail address like name@example.com")
        }
        return text
    }

    private static func policy(_ reader: VariableReader, defaults: MediaPolicy) throws(ConfigurationError) -> MediaPolicy {
        var policy = defaults
        policy.preset = try reader.choice("VIDPIPE_POLICY_PRESET", of: MediaPolicy.Preset.self) ?? policy.preset
        if let list = reader.list("VIDPIPE_POLICY_CONTAINERS") { policy.containers = list }
        if let list = reader.list("VIDPIPE_POLICY_VIDEO_CODECS") { policy.videoCodecs = list }
        if let list = reader.list("VIDPIPE_POLICY_AUDIO_CODECS") { policy.audioCodecs = list }
        if let (w, h) = try reader.resolution("VIDPIPE_POLICY_MIN_RESOLUTION") { (policy.minWidth, policy.minHeight) = (w, h) }
        if let (w, h) = try reader.resolution("VIDPIPE_POLICY_MAX_RESOLUTION") { (policy.maxWidth, policy.maxHeight) = (w, h) }
        policy.maxDurationSeconds = try reader.seconds("VIDPIPE_POLICY_MAX_DURATION_SECONDS") ?? policy.maxDurationSeconds
        policy.audio = try reader.choice("VIDPIPE_POLICY_AUDIO", of: MediaPolicy.AudioRequirement.self) ?? policy.audio
        policy.minBitRate = try reader.integer("VIDPIPE_POLICY_MIN_BITRATE", minimum: 0) ?? policy.minBitRate
        policy.maxBlackShare = try reader.fraction("VIDPIPE_POLICY_MAX_BLACK_SHARE") ?? policy.maxBlackShare
        policy.maxSilenceShare = try reader.fraction("VIDPIPE_POLICY_MAX_SILENCE_SHARE") ?? policy.maxSilenceShare
        return policy
    }

    private static func qualityChecks(_ reader: VariableReader, defaults: QCOptions) throws(ConfigurationError) -> QCOptions {
        var qc = defaults
        qc.blackMinDuration = try reader.seconds("VIDPIPE_QC_BLACK_MIN_SECONDS") ?? qc.blackMinDuration
        qc.pictureBlackRatio = try reader.fraction("VIDPIPE_QC_BLACK_PICTURE_RATIO") ?? qc.pictureBlackRatio
        qc.pixelBlackThreshold = try reader.fraction("VIDPIPE_QC_BLACK_PIXEL_THRESHOLD") ?? qc.pixelBlackThreshold
        qc.freezeNoise = try reader.fraction("VIDPIPE_QC_FREEZE_NOISE") ?? qc.freezeNoise
        qc.freezeMinDuration = try reader.seconds("VIDPIPE_QC_FREEZE_MIN_SECONDS") ?? qc.freezeMinDuration
        qc.silenceNoise = try reader.fraction("VIDPIPE_QC_SILENCE_NOISE") ?? qc.silenceNoise
        qc.silenceMinDuration = try reader.seconds("VIDPIPE_QC_SILENCE_MIN_SECONDS") ?? qc.silenceMinDuration
        qc.loudnessTarget = try reader.number("VIDPIPE_QC_LOUDNESS_TARGET_LUFS") ?? qc.loudnessTarget
        qc.loudnessTolerance = try reader.seconds("VIDPIPE_QC_LOUDNESS_TOLERANCE_LU") ?? qc.loudnessTolerance
        qc.maximumPeak = try reader.number("VIDPIPE_QC_MAX_PEAK_DBTP") ?? qc.maximumPeak
        qc.maximumAudioVideoMismatch = try reader.seconds("VIDPIPE_QC_MAX_AV_MISMATCH_SECONDS") ?? qc.maximumAudioVideoMismatch
        return qc
    }

    static func absolute(_ path: String, relativeTo directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }
}

extension IntakeTopics {
    /// `KAFKA_TOPIC_REQUESTS`, `KAFKA_TOPIC_PROCESSED`, `KAFKA_TOPIC_DEAD_LETTER`; empty keeps the default.
    static func fromVariables(_ reader: VariableReader) -> IntakeTopics {
        let defaults = IntakeTopics()
        return IntakeTopics(
            requests: reader.string("KAFKA_TOPIC_REQUESTS") ?? defaults.requests,
            processed: reader.string("KAFKA_TOPIC_PROCESSED") ?? defaults.processed,
            deadLetter: reader.string("KAFKA_TOPIC_DEAD_LETTER") ?? defaults.deadLetter)
    }
}
