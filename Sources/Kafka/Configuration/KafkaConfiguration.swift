/// How a client reaches a Kafka cluster: servers, identity, security, and any further
/// librdkafka properties. `description` never shows the SASL password, so the value is
/// safe to log.
public struct KafkaConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// `host:port` of at least one broker (`bootstrap.servers`). No default.
    public var bootstrapServers: [String]
    /// The consumer group (`group.id`). Default `vidpipe`.
    public var groupID: String
    /// The client id shown in broker logs (`client.id`). Default nil: librdkafka's `rdkafka`.
    public var clientID: String?
    /// Transport security and authentication. Default plaintext without SASL.
    public var security: Security
    /// Further librdkafka properties, applied last (they may override anything above).
    /// Keys librdkafka does not know (Java-only ones in client.properties files, such as
    /// `client.dns.lookup`) are skipped with a log line; invalid values are an error.
    /// Default empty.
    public var extraProperties: [String: String]

    /// Creates a configuration; only the servers are required.
    public init(
        bootstrapServers: [String], groupID: String = "vidpipe", clientID: String? = nil,
        security: Security = .plaintext, extraProperties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
        self.clientID = clientID
        self.security = security
        self.extraProperties = extraProperties
    }

    /// `security.protocol` and, for the SASL protocols, the credentials.
    public struct Security: Sendable, Equatable, CustomStringConvertible {
        /// `security.protocol`.
        public var `protocol`: SecurityProtocol
        /// SASL mechanism and credentials; required by the SASL protocols, unused otherwise.
        public var sasl: SASL?

        /// Creates security settings; ``validate()`` checks they fit together.
        public init(protocol: SecurityProtocol, sasl: SASL? = nil) {
            self.protocol = `protocol`
            self.sasl = sasl
        }

        /// No TLS, no authentication: local brokers and tests.
        public static let plaintext = Security(protocol: .plaintext)

        public var description: String {
            guard let sasl else { return `protocol`.rawValue }
            return "\(`protocol`.rawValue) \(sasl)"
        }
    }

    /// The values of librdkafka's `security.protocol`.
    public enum SecurityProtocol: String, Sendable, CaseIterable {
        case plaintext = "PLAINTEXT"
        case ssl = "SSL"
        case saslPlaintext = "SASL_PLAINTEXT"
        case saslSSL = "SASL_SSL"

        /// Whether this protocol authenticates with SASL.
        public var usesSASL: Bool { self == .saslPlaintext || self == .saslSSL }
    }

    /// The values of `sasl.mechanisms` vidpipe supports.
    public enum SASLMechanism: String, Sendable, CaseIterable {
        case plain = "PLAIN"
        case scramSHA256 = "SCRAM-SHA-256"
        case scramSHA512 = "SCRAM-SHA-512"
    }

    /// SASL credentials. The password is left out of `description`.
    public struct SASL: Sendable, Equatable, CustomStringConvertible {
        /// `sasl.mechanisms`.
        public var mechanism: SASLMechanism
        /// `sasl.username`.
        public var username: String
        /// `sasl.password`. Never logged.
        public var password: String

        /// Creates SASL credentials.
        public init(mechanism: SASLMechanism, username: String, password: String) {
            self.mechanism = mechanism
            self.username = username
            self.password = password
        }

        public var description: String { "\(mechanism.rawValue) user=\(username) password=***" }
    }

    public var description: String {
        var parts = [
            "bootstrap=\(bootstrapServers.joined(separator: ","))", "group=\(groupID)",
            "security=\(security)",
        ]
        if let clientID { parts.append("client=\(clientID)") }
        if !extraProperties.isEmpty {
            // Extra values may hold secrets (ssl.key.password, ...): show the keys only.
            parts.append("extra=\(extraProperties.keys.sorted().joined(separator: ","))")
        }
        return "KafkaConfiguration(\(parts.joined(separator: " ")))"
    }

    /// Checks the settings fit together; errors name the property at fault.
    public func validate() throws {
        if bootstrapServers.isEmpty || bootstrapServers.contains(where: \.isEmpty) {
            throw KafkaError(.configuration, "bootstrap.servers: at least one host:port is required")
        }
        if groupID.isEmpty { throw KafkaError(.configuration, "group.id: must not be empty") }
        if security.protocol.usesSASL {
            guard let sasl = security.sasl else {
                throw KafkaError(.configuration, "sasl.mechanisms: required with security.protocol=\(security.protocol.rawValue)")
            }
            if sasl.username.isEmpty { throw KafkaError(.configuration, "sasl.username: required with SASL") }
            if sasl.password.isEmpty { throw KafkaError(.configuration, "sasl.password: required with SASL") }
        }
    }

    /// The librdkafka properties common to producers and consumers, in the order applied.
    var clientProperties: [(String, String)] {
        var properties = [("bootstrap.servers", bootstrapServers.joined(separator: ","))]
        if let clientID { properties.append(("client.id", clientID)) }
        properties.append(("security.protocol", security.protocol.rawValue))
        if security.protocol.usesSASL, let sasl = security.sasl {
            properties += [
                ("sasl.mechanisms", sasl.mechanism.rawValue), ("sasl.username", sasl.username),
                ("sasl.password", sasl.password),
            ]
        }
        return properties + extraProperties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Values that must never reach a log line.
    var secrets: [String] {
        var secrets = [security.sasl?.password].compactMap { $0 }
        secrets += extraProperties.filter { $0.key.contains("password") || $0.key.contains("secret") }.map(\.value)
        return secrets.filter { !$0.isEmpty }
    }
}
