import Foundation

/// How to reach an SMTP server, with the original system's variable names: `SMTP_SERVER`,
/// `SMTP_PORT`, `SMTP_USER`, `SMTP_PASSWORD`, plus `SMTP_SECURITY`.
///
/// ``description`` never shows the password.
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is protected.
    public enum Security: String, Sendable, CaseIterable {
        /// Plain SMTP upgraded with STARTTLS; fails if the server does not offer it
        /// (credentials never travel in clear). The usual choice on port 587.
        case starttls
        /// STARTTLS when the server offers it, plain SMTP otherwise.
        case starttlsIfOffered = "starttls-optional"
        /// Implicit TLS from the first byte (`smtps://`), usually port 465.
        case tls
        /// Plain SMTP, never encrypted: only for a server on the same host or a test server.
        case none
    }

    /// Host name or IP address.
    public var server: String
    /// Default: 465 for `.tls`, 587 otherwise.
    public var port: Int
    public var security: Security
    /// AUTH is attempted when both user and password are set.
    public var username: String?
    public var password: String?
    /// A PEM file of trust roots for the server's certificate; nil: the system's.
    public var caCertificatePath: String?
    /// How long connecting (TCP and TLS) may take. Default: 10 s.
    public var connectTimeout: Duration
    /// How long one whole send may take. Default: 60 s.
    public var totalTimeout: Duration

    public init(
        server: String, port: Int? = nil, security: Security = .starttls, username: String? = nil,
        password: String? = nil, caCertificatePath: String? = nil, connectTimeout: Duration = .seconds(10),
        totalTimeout: Duration = .seconds(60)
    ) {
        self.server = server
        self.port = port ?? (security == .tls ? 465 : 587)
        self.security = security
        self.username = username
        self.password = password
        self.caCertificatePath = caCertificatePath
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }

    /// Reads the settings from `environment`; nil when `SMTP_SERVER` is unset or empty.
    ///
    /// `SMTP_SECURITY` is one of `starttls`, `starttls-optional`, `tls`, `none`; when unset it
    /// is `tls` for port 465 and `starttls` otherwise.
    ///
    /// - Throws: ``MailError/Code/invalidMessage`` for a port or security value that does not parse.
    public static func fromEnvironment(_ environment: [String: String]) throws -> SMTPSettings? {
        guard let server = environment["SMTP_SERVER"], !server.isEmpty else { return nil }
        var port: Int?
        if let text = environment["SMTP_PORT"], !text.isEmpty {
            guard let value = Int(text), (1...65_535).contains(value) else {
                throw MailError(.invalidMessage, "SMTP_PORT is not a port number: \(text.debugDescription)")
            }
            port = value
        }
        let security: Security
        if let text = environment["SMTP_SECURITY"], !text.isEmpty {
            guard let value = Security(rawValue: text.lowercased()) else {
                throw MailError(.invalidMessage, "SMTP_SECURITY must be one of \(Security.allCases.map(\.rawValue).joined(separator: ", ")): \(text.debugDescription)")
            }
            security = value
        } else {
            security = port == 465 ? .tls : .starttls
        }
        func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return SMTPSettings(
            server: server, port: port, security: security, username: nonEmpty("SMTP_USER"),
            password: nonEmpty("SMTP_PASSWORD")
        )
    }

    /// The URL libcurl connects to: `smtps://` for implicit TLS, `smtp://` otherwise.
    public var url: String {
        let host = server.contains(":") ? "[\(server)]" : server  // an IPv6 literal
        return "\(security == .tls ? "smtps" : "smtp")://\(host):\(port)"
    }

    public var description: String {
        let credentials = username.map { " user \($0)" + (password == nil ? "" : " password ***") } ?? ""
        return "SMTPSettings(\(url) \(security.rawValue)\(credentials))"
    }
}
