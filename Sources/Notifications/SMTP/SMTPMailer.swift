import CCurl
import Execution

/// The service-mode transport: sends each message to an SMTP server through libcurl, with
/// STARTTLS or implicit TLS and AUTH as ``SMTPSettings`` say.
///
/// MAIL FROM is the envelope's sender and RCPT TO each of its recipients; the DATA is the
/// stored RFC 5322 content. Each send uses its own connection on a ``DedicatedThread``, so
/// the blocking libcurl call never holds a thread of the cooperative pool. SMTP cannot tell a resend, so
/// ``MailDelivery/wasAlreadyDelivered`` is always false: the catalog's outbox state prevents
/// sending twice.
public struct SMTPMailer: MailTransport {
    public let settings: SMTPSettings

    public init(settings: SMTPSettings) {
        self.settings = settings
    }

    /// - Throws: a ``MailError`` whose `isRetryable` is true when the server could not be
    ///   reached, the connection broke or timed out, or the server answered 4xx; false for
    ///   5xx rejections, refused credentials and TLS set-up failures. `CancellationError`
    ///   when the task is cancelled mid-send.
    public func deliver(_ envelope: MailEnvelope) async throws -> MailDelivery {
        let transfer = try CurlSMTPTransfer(settings: settings, from: envelope.sender, to: envelope.recipients, body: envelope.content)
        let outcome = try await withTaskCancellationHandler {
            try Task.checkCancellation()
            return await DedicatedThread.run(name: "smtp-send") { transfer.perform() }
        } onCancel: {
            transfer.cancel()
        }
        if outcome.code == CURLE_ABORTED_BY_CALLBACK {
            throw CancellationError()
        }
        guard outcome.code == CURLE_OK else {
            throw Self.error(outcome, url: settings.url)
        }
        return MailDelivery(messageID: envelope.messageID, destination: settings.url, wasAlreadyDelivered: false)
    }

    /// Classifies a failed transfer: the server's reply code decides when there is one (4xx
    /// transient, 5xx permanent), otherwise libcurl's code.
    static func error(_ outcome: CurlSMTPTransfer.Outcome, url: String) -> MailError {
        let reason = String(cString: curl_easy_strerror(outcome.code))
        let detail = outcome.detail.isEmpty || outcome.detail == reason ? "" : ": \(outcome.detail)"
        let reply = outcome.replyCode > 0 ? " (reply \(outcome.replyCode))" : ""
        let message = "sending to \(url) failed: \(reason)\(detail)\(reply)"
        let transient = (400..<500).contains(outcome.replyCode)
        switch outcome.code {
        case CURLE_LOGIN_DENIED:
            return MailError(.smtpAuthenticationFailed, message, isRetryable: transient)
        case CURLE_USE_SSL_FAILED, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return MailError(.smtpTLSFailed, message)
        case _ where outcome.replyCode >= 400:
            return MailError(.smtpRejected, message, isRetryable: transient)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR,
             CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_SSL_CONNECT_ERROR, CURLE_WEIRD_SERVER_REPLY:
            // No error reply: the server was unreachable or the connection broke (including a
            // TLS handshake cut short).
            return MailError(.smtpUnavailable, message, isRetryable: true)
        default:
            return MailError(.smtpFailed, message)
        }
    }
}
