import ArgumentParser
import Foundation
import Webhooks

/// `vidpipe webhook`: tools for the receiving end of vidpipe's webhooks.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Tools for receivers of vidpipe's webhooks.",
        subcommands: [WebhookVerifyCommand.self]
    )
}

/// `vidpipe webhook verify --signature HEADER --secret-env VAR < body`: checks a received
/// webhook the way a receiver should, so receivers can test their own code against it.
struct WebhookVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a webhook body (on stdin) against its vidpipe-signature header.",
        discussion: """
            Exit status: 0 when the signature matches the body and secret and its timestamp is within the \
            tolerance of now; 1 when it does not (the reason on stderr); 2 on a usage error.
            """
    )

    @Option(help: "The vidpipe-signature header's value: t=<unix seconds>,v1=<hex>.")
    var signature: String

    @Option(help: "The environment variable holding the secret (never pass a secret as an argument: ps shows it).")
    var secretEnv = "VIDPIPE_WEBHOOK_SECRET"

    @Option(help: "Largest accepted distance between the signature's timestamp and now, seconds (refuses replays).")
    var tolerance: Int64 = 300

    func validate() throws {
        guard tolerance >= 0 else { throw ValidationError("--tolerance must be 0 or more seconds") }
    }

    func run() throws {
        guard let secret = ProcessInfo.processInfo.environment[secretEnv], !secret.isEmpty else {
            FileHandle.standardError.write(Data("vidpipe: \(secretEnv) is not set; export the webhook secret in it\n".utf8))
            throw ExitStatus.usage
        }
        let body = FileHandle.standardInput.readDataToEndOfFile()
        do {
            try WebhookSignature.verify(header: signature, body: body, secret: secret, toleranceSeconds: tolerance)
        } catch {
            FileHandle.standardError.write(Data("vidpipe: webhook refused: \(error)\n".utf8))
            throw ExitStatus.someRejected
        }
        print("webhook verified")
    }
}
