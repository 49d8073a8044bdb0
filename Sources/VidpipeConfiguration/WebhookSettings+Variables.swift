import Execution
import Foundation
import Webhooks

/// The `VIDPIPE_WEBHOOK_*` variables as read, before they become ``WebhookSettings``.
public struct WebhookVariables: Sendable, Equatable {
    /// Signs every webhook body. `VIDPIPE_WEBHOOK_SECRET`; required when there are URLs.
    public var secret: String?
    /// How long a delivery is retried after its event. Default 24. `VIDPIPE_WEBHOOK_RETRY_HOURS`.
    public var retryHours: Double = 24
    /// Wait after the first failed attempt (doubling, at most an hour). Default 10.
    /// `VIDPIPE_WEBHOOK_BACKOFF_SECONDS`.
    public var backoffSeconds: Double = 10
    /// Longest one attempt may take. Default 10. `VIDPIPE_WEBHOOK_TIMEOUT_SECONDS`.
    public var timeoutSeconds: Double = 10
    /// PEM certificates trusted for https endpoints instead of the system's (a private CA or a
    /// self-signed receiver). `VIDPIPE_WEBHOOK_CA_FILE`; checked readable at start-up.
    public var caFile: String?

    /// The sender's settings for the configured `endpoints`; nil without a secret (then there
    /// are no URLs either).
    public func settings(endpoints: [WebhookEndpoint]) -> WebhookSettings? {
        secret.map { secret in
            WebhookSettings(secret: secret, endpoints: endpoints, retryWindow: .seconds(retryHours * 3600),
                            backoff: BackoffPolicy(initial: .seconds(backoffSeconds), maximum: .seconds(max(backoffSeconds, 3600))),
                            timeout: .seconds(timeoutSeconds), caFile: caFile)
        }
    }

    /// Reads the variables and `VIDPIPE_WEBHOOK_URLS` (comma-separated http:// or https://
    /// URLs). URLs without a secret are an error: an unsigned webhook cannot be told from a
    /// forged one.
    static func fromVariables(_ reader: VariableReader) throws(ConfigurationError) -> (endpoints: [WebhookEndpoint], variables: WebhookVariables) {
        let urls = (reader.string("VIDPIPE_WEBHOOK_URLS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for url in urls {
            guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
                  components.host?.isEmpty == false else {
                throw ConfigurationError(variable: "VIDPIPE_WEBHOOK_URLS",
                                         message: "\(url.debugDescription) is not an http:// or https:// URL with a host")
            }
        }
        var variables = WebhookVariables()
        variables.secret = reader.string("VIDPIPE_WEBHOOK_SECRET")
        variables.retryHours = try reader.hours("VIDPIPE_WEBHOOK_RETRY_HOURS") ?? variables.retryHours
        variables.backoffSeconds = try reader.seconds("VIDPIPE_WEBHOOK_BACKOFF_SECONDS") ?? variables.backoffSeconds
        variables.timeoutSeconds = try reader.seconds("VIDPIPE_WEBHOOK_TIMEOUT_SECONDS") ?? variables.timeoutSeconds
        variables.caFile = reader.string("VIDPIPE_WEBHOOK_CA_FILE")
        // At start-up, not at the first https attempt: that would only show as failed deliveries.
        if let caFile = variables.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ConfigurationError(variable: "VIDPIPE_WEBHOOK_CA_FILE",
                                     message: "\(caFile) does not exist or cannot be read; give a readable PEM file of the certificates to trust, or unset it to use the system's")
        }
        if !urls.isEmpty, variables.secret == nil {
            throw ConfigurationError(variable: "VIDPIPE_WEBHOOK_SECRET",
                                     message: "VIDPIPE_WEBHOOK_URLS is set, so a secret to sign the webhooks with is needed (e.g. the output of `openssl rand -hex 32`)")
        }
        return (urls.map(WebhookEndpoint.init), variables)
    }
}
