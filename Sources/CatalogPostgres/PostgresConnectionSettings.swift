import Catalog
import Foundation
import PostgresNIO

/// Where and how to reach PostgreSQL, read from a libpq-style connection URI such as the
/// `PG_CONN_URI` the original system used:
/// `postgres://user:password@host:port/database?sslmode=require`.
///
/// ``description`` never shows the password.
public struct PostgresConnectionSettings: Sendable, Equatable, CustomStringConvertible {
    /// The environment variable that holds the URI.
    public static let environmentVariable = "PG_CONN_URI"

    /// libpq's `sslmode` values that map onto PostgresNIO's TLS modes.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS when the server offers it, without certificate checks (libpq's default).
        case prefer
        /// TLS or fail, without certificate checks (like libpq: encryption, not identity).
        case require
        /// TLS with the server's certificate checked against the trust roots (`sslrootcert`
        /// or the system's), without a host name check.
        case verifyCA = "verify-ca"
        /// TLS with the certificate and the host name checked.
        case verifyFull = "verify-full"
    }

    public var host: String
    /// Default: 5432.
    public var port: Int
    public var username: String
    /// Percent-decoded from the URI; `nil` when the URI has none.
    public var password: String?
    /// Default: the user name, as libpq does.
    public var database: String
    /// Default: `.prefer`, as libpq does.
    public var sslMode: SSLMode
    /// A PEM file of trust roots for `verify-ca` / `verify-full` (`sslrootcert`).
    public var rootCertificatePath: String?
    /// How long opening one connection may take (`connect_timeout`, in seconds). Default: 10 s.
    public var connectTimeout: Duration
    /// The most connections the pool opens. Default: 10, well under PostgreSQL's default
    /// `max_connections` of 100 so a few daemons and the CLI fit.
    public var maximumConnections: Int

    /// Parses `uri`. Accepted query parameters: `sslmode`, `sslrootcert`, `connect_timeout`,
    /// `application_name` (ignored); anything else is refused rather than silently dropped.
    ///
    /// - Throws: ``CatalogError/Code/openFailed`` for a malformed URI; the message never
    ///   contains the password.
    public init(uri: String) throws {
        func invalid(_ problem: String) -> CatalogError {
            CatalogError(.openFailed, "\(Self.environmentVariable) \(problem)")
        }
        guard let components = URLComponents(string: uri),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased())
        else { throw invalid("must look like postgres://user:password@host:port/database") }
        guard let host = components.host, !host.isEmpty else { throw invalid("has no host") }
        guard let username = components.user, !username.isEmpty else { throw invalid("has no user name") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? username : path
        self.sslMode = .prefer
        self.rootCertificatePath = nil
        self.connectTimeout = .seconds(10)
        self.maximumConnections = 10
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw invalid("has sslmode=\(value); expected one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert":
                rootCertificatePath = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else { throw invalid("has connect_timeout=\(value); expected seconds > 0") }
                connectTimeout = .seconds(seconds)
            case "application_name":
                continue
            default:
                throw invalid("has an unsupported parameter '\(item.name)'")
            }
        }
    }

    /// The URI with the password replaced by `***`.
    public var description: String {
        let credentials = password == nil ? username : "\(username):***"
        return "postgres://\(credentials)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)"
    }

    /// The PostgresNIO client configuration for these settings.
    public func clientConfiguration() -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls()
        )
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = maximumConnections
        return configuration
    }

    private func tls() -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable:
            return .disable
        case .prefer, .require:
            tls.certificateVerification = .none
            return sslMode == .prefer ? .prefer(tls) : .require(tls)
        case .verifyCA, .verifyFull:
            tls.certificateVerification = sslMode == .verifyCA ? .noHostnameVerification : .fullVerification
            if let rootCertificatePath { tls.trustRoots = .file(rootCertificatePath) }
            return .require(tls)
        }
    }
}
