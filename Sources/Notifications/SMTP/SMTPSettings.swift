import Foundation

/// How to reach an SMTP server.
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
