import Foundation
import Kafka

extension KafkaConfiguration {
    /// The variables ``fromVariables(_:)`` reads, each with the client.properties key it
    /// overrides (nil: no file equivalent).
    static let variables: [(name: String, property: String?)] = [
        ("KAFKA_BOOTSTRAP_SERVERS", "bootstrap.servers"),
        ("KAFKA_GROUP_ID", "group.id"),
        ("KAFKA_CLIENT_ID", "client.id"),
        ("KAFKA_SECURITY_PROTOCOL", "security.protocol"),
        ("KAFKA_SASL_MECHANISMS", "sasl.mechanisms"),
        ("KAFKA_SASL_USERNAME", "sasl.username"),
        ("KAFKA_SASL_PASSWORD", "sasl.password"),
        ("KAFKA_CLIENT_PROPERTIES", nil),
    ]

    /// Reads the configuration from the variables and, when `KAFKA_CLIENT_PROPERTIES` names
    /// one, a Confluent-style client.properties file.
    ///
    /// Returns nil (embedded mode) when neither `KAFKA_BOOTSTRAP_SERVERS` nor
    /// `KAFKA_CLIENT_PROPERTIES` is set; empty values count as unset. Environment variables
    /// override the file. File keys other than the ones in ``variables`` become
    /// ``extraProperties``. Errors name the variable or key at fault, never a secret value.
    static func fromVariables(_ values: [String: String]) throws -> KafkaConfiguration? {
        let env = values.filter { !$0.value.isEmpty }
        guard env["KAFKA_BOOTSTRAP_SERVERS"] != nil || env["KAFKA_CLIENT_PROPERTIES"] != nil else { return nil }

        var settings: [String: Setting] = [:]
        if let path = env["KAFKA_CLIENT_PROPERTIES"] {
            for (key, value) in try ClientProperties.load(path: path) {
                settings[key] = Setting(value: value, source: "\(key) in \(path)")
            }
        }
        for (name, property) in variables {
            if let property, let value = env[name] { settings[property] = Setting(value: value, source: name) }
        }
        return try KafkaConfiguration(settings: settings)
    }

    /// A value with where it came from, so errors can point at the right place.
    private struct Setting {
        var value: String
        var source: String
    }

    private init(settings: [String: Setting]) throws {
        var settings = settings
        func take(_ key: String) -> Setting? { settings.removeValue(forKey: key) }

        guard let servers = take("bootstrap.servers") else {
            throw KafkaError(.configuration, "KAFKA_BOOTSTRAP_SERVERS: not set, and bootstrap.servers is missing from KAFKA_CLIENT_PROPERTIES")
        }
        let serverList = servers.value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if serverList.isEmpty || serverList.contains(where: \.isEmpty) {
            throw KafkaError(.configuration, "\(servers.source): expected host:port[,host:port...]")
        }

        var securityProtocol = SecurityProtocol.plaintext
        if let setting = take("security.protocol") {
            guard let value = SecurityProtocol(rawValue: setting.value.uppercased()) else {
                throw KafkaError(.configuration, "\(setting.source): unknown security protocol '\(setting.value)' (expected \(SecurityProtocol.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            securityProtocol = value
        }

        // librdkafka accepts both spellings; Java clients use the singular one.
        let mechanismSetting = take("sasl.mechanisms") ?? take("sasl.mechanism")
        settings["sasl.mechanism"] = nil
        var username = take("sasl.username")
        var password = take("sasl.password")
        // Java-style files carry the credentials only inside sasl.jaas.config.
        if let jaas = take("sasl.jaas.config") {
            if username == nil, let value = Self.jaasOption("username", in: jaas.value) {
                username = Setting(value: value, source: jaas.source)
            }
            if password == nil, let value = Self.jaasOption("password", in: jaas.value) {
                password = Setting(value: value, source: jaas.source)
            }
        }

        var sasl: SASL?
        if securityProtocol.usesSASL {
            guard let mechanismSetting else {
                throw KafkaError(.configuration, "sasl.mechanisms: required with security.protocol=\(securityProtocol.rawValue) (KAFKA_SASL_MECHANISMS or the client.properties file)")
            }
            guard let mechanism = SASLMechanism(rawValue: mechanismSetting.value.uppercased()) else {
                throw KafkaError(.configuration, "\(mechanismSetting.source): unsupported SASL mechanism '\(mechanismSetting.value)' (expected \(SASLMechanism.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let username, !username.value.isEmpty else {
                throw KafkaError(.configuration, "sasl.username: required with \(securityProtocol.rawValue) (KAFKA_SASL_USERNAME or the client.properties file)")
            }
            guard let password, !password.value.isEmpty else {
                throw KafkaError(.configuration, "sasl.password: required with \(securityProtocol.rawValue) (KAFKA_SASL_PASSWORD or the client.properties file)")
            }
            sasl = SASL(mechanism: mechanism, username: username.value, password: password.value)
        }

        self.init(
            bootstrapServers: serverList,
            groupID: take("group.id")?.value ?? "vidpipe",
            clientID: take("client.id")?.value,
            security: Security(protocol: securityProtocol, sasl: sasl),
            extraProperties: settings.mapValues(\.value))
        try validate()
    }

    /// `username="x"` or `username='x'` inside a JAAS login-module line.
    private static func jaasOption(_ name: String, in jaas: String) -> String? {
        guard let start = jaas.range(of: "\(name)=") else { return nil }
        let rest = jaas[start.upperBound...]
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        let value = rest.dropFirst().prefix { $0 != quote }
        return String(value)
    }
}

/// Reads Confluent/Java-style `client.properties` files.
enum ClientProperties {
    /// Parses `key=value` (or `key: value`) lines; `#` and `!` start comments, blank lines
    /// are skipped, whitespace around keys and values is trimmed, and a trailing backslash
    /// continues a line.
    static func parse(_ text: String, path: String) throws -> [(String, String)] {
        var result: [(String, String)] = []
        var pending = ""
        var pendingLine = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasSuffix("\r") { line.removeLast() }
            if pending.isEmpty {
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
                pendingLine = index + 1
            }
            if line.hasSuffix("\\") {
                pending += line.dropLast()
                continue
            }
            let entry = pending + line
            pending = ""
            guard let separator = entry.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw KafkaError(.configuration, "\(path) line \(pendingLine): expected key=value")
            }
            let key = entry[..<separator].trimmingCharacters(in: .whitespaces)
            let value = entry[entry.index(after: separator)...].trimmingCharacters(in: .whitespaces)
            if key.isEmpty { throw KafkaError(.configuration, "\(path) line \(pendingLine): empty key") }
            result.append((key, value))
        }
        return result
    }

    static func load(path: String) throws -> [(String, String)] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KafkaError(.configuration, "KAFKA_CLIENT_PROPERTIES: cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text, path: path)
    }
}
