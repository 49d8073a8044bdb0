import Foundation
import Media

extension VidpipeConfiguration {
    /// Loads the configuration: process environment over `.env` over the config file over
    /// the compiled defaults. Throws on the first unusable value, naming the variable.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ConfigurationError) -> VidpipeConfiguration {
        try from(values: mergedValues(environment: environment, workingDirectory: workingDirectory), workingDirectory: workingDirectory)
    }

    /// Every variable from the environment, `.env` and the config file, merged with the same
    /// precedence as ``load(environment:workingDirectory:)``: what other modules (Kafka)
    /// read their own settings from.
    public static func mergedValues(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws(ConfigurationError) -> [String: String] {
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
        let datalake = absolute(reader.string("VIDPIPE_DATALAKE") ?? "./datalake", relativeTo: workingDirectory)
        var config = VidpipeConfiguration.defaults(datalake: datalake)
        if let roots = reader.string("VIDPIPE_ALLOWED_ROOTS") {
            config.allowedRoots = roots.split(separator: ":").map { absolute(String($0), relativeTo: workingDirectory) }
        }
        config.maxFileBytes = try reader.integer("VIDPIPE_MAX_FILE_BYTES", minimum: 1) ?? config.maxFileBytes
        if let jobs = try reader.integer("VIDPIPE_JOB_CONCURRENCY", minimum: 0), jobs > 0 { config.jobConcurrency = Int(jobs) }
        if let cpu = try reader.integer("VIDPIPE_CPU_CONCURRENCY", minimum: 0), cpu > 0 { config.cpuConcurrency = Int(cpu) }
        config.taskAttempts = Int(try reader.integer("VIDPIPE_TASK_ATTEMPTS", minimum: 1) ?? Int64(config.taskAttempts))
        config.taskTimeoutSeconds = try reader.seconds("VIDPIPE_TASK_TIMEOUT_SECONDS") ?? config.taskTimeoutSeconds
        config.missingSidecar = try reader.choice("VIDPIPE_MISSING_SIDECAR", of: MissingSidecarPolicy.self) ?? config.missingSidecar
        config.emailReceiver = reader.string("EMAIL_RECEIVER")
        config.emailSender = reader.string("EMAIL_SENDER") ?? config.emailSender
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
        config.postgresURI = reader.string("PG_CONN_URI")
        config.smtp.server = reader.string("SMTP_SERVER")
        config.smtp.port = Int(try reader.integer("SMTP_PORT", minimum: 1) ?? Int64(config.smtp.port))
        config.smtp.user = reader.string("SMTP_USER")
        config.smtp.password = reader.string("SMTP_PASSWORD")

        var policy = config.policy
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
        config.policy = policy

        var qc = config.qc
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
        config.qc = qc

        if let text = reader.string("VIDPIPE_RENDITIONS") {
            config.ladder.rungs = try LadderSyntax.parse(text, variable: "VIDPIPE_RENDITIONS")
        }
        config.ladder.preset = reader.string("VIDPIPE_X264_PRESET") ?? config.ladder.preset
        config.thumbnails.tiles = Int(try reader.integer("VIDPIPE_SPRITE_TILES", minimum: 1) ?? Int64(config.thumbnails.tiles))
        config.thumbnails.columns = Int(try reader.integer("VIDPIPE_SPRITE_COLUMNS", minimum: 1) ?? Int64(config.thumbnails.columns))
        return config
    }

    static func absolute(_ path: String, relativeTo directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        return URL(fileURLWithPath: joined).standardizedFileURL.path
    }
}

/// Typed access to string variables; an empty value counts as unset.
private struct VariableReader {
    var values: [String: String]

    func string(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func integer(_ name: String, minimum: Int64) throws(ConfigurationError) -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Int64(text), value >= minimum else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not a whole number ≥ \(minimum)")
        }
        return value
    }

    func seconds(_ name: String) throws(ConfigurationError) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value > 0, value.isFinite else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not a positive number of seconds")
        }
        return value
    }

    func number(_ name: String) throws(ConfigurationError) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not a number")
        }
        return value
    }

    func fraction(_ name: String) throws(ConfigurationError) -> Double? {
        guard let value = try number(name) else { return nil }
        guard (0...1).contains(value) else {
            throw ConfigurationError(variable: name, message: "\(value) is not between 0 and 1")
        }
        return value
    }

    func choice<C: RawRepresentable & CaseIterable>(_ name: String, of _: C.Type) throws(ConfigurationError) -> C? where C.RawValue == String {
        guard let text = string(name) else { return nil }
        guard let value = C(rawValue: text.lowercased()) else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not one of \(C.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func list(_ name: String) -> Set<String>? {
        guard let text = values[name] else { return nil }
        return Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
    }

    func resolution(_ name: String) throws(ConfigurationError) -> (Int, Int)? {
        guard let text = string(name) else { return nil }
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not WIDTHxHEIGHT, e.g. 1920x1080")
        }
        return (width, height)
    }
}

/// `VIDPIPE_RENDITIONS`: comma-separated rungs `NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS`, e.g.
/// `720p:720:2800:128`; maxrate and buffer follow the default ladder's ratios (1.07×, 1.5×).
enum LadderSyntax {
    static func parse(_ text: String, variable: String) throws(ConfigurationError) -> [RenditionLadder.Rung] {
        if text.lowercased() == "none" { return [] }
        var rungs: [RenditionLadder.Rung] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 4, !parts[0].isEmpty, let height = Int(parts[1]), height >= 2, height % 2 == 0,
                  let video = Int(parts[2]), video > 0, let audio = Int(parts[3]), audio > 0 else {
                throw ConfigurationError(variable: variable,
                                         message: "\"\(item)\" is not NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS with an even height, e.g. 720p:720:2800:128")
            }
            rungs.append(RenditionLadder.Rung(name: parts[0], height: height, videoBitRate: video * 1000,
                                              maxRate: video * 1070, bufferSize: video * 1500, audioBitRate: audio * 1000))
        }
        return rungs
    }

    static func describe(_ rung: RenditionLadder.Rung) -> String {
        "\(rung.name):\(rung.height):\((rung.videoBitRate ?? 0) / 1000):\(rung.audioBitRate / 1000)"
    }
}
