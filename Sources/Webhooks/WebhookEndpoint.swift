import Foundation

/// A URL webhooks are sent to. It prints as scheme, host, port and path only: a query
/// string or user info may hold the receiver's token, and configurations get printed
/// (`vidpipe config`, swift-service-lifecycle's debug log of its services).
public struct WebhookEndpoint: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var url: String

    public init(_ url: String) {
        self.url = url
    }

    public var description: String {
        guard let components = URLComponents(string: url), let host = components.host else { return "(unparsable URL)" }
        return "\(components.scheme ?? "?")://\(host)\(components.port.map { ":\($0)" } ?? "")\(components.path)"
    }

    public var debugDescription: String { description }
}
