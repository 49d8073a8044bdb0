/// Something that delivers an ``EmailMessage``: the embedded ``OutboxMailer`` or ``SMTPMailer``.
public protocol MailTransport: Sendable {
    /// Delivers `message`. Delivering the same Message-ID again must not deliver a second copy
    /// where the transport can tell.
    func send(_ message: EmailMessage) async throws -> MailDelivery
}

/// What a ``MailTransport`` did with a message.
public struct MailDelivery: Sendable, Equatable {
    public var messageID: String
    /// Where the message went: the .eml file for the outbox, the server's URL for SMTP.
    public var destination: String
    /// True when this Message-ID had been delivered before and nothing new was written.
    public var wasAlreadyDelivered: Bool

    public init(messageID: String, destination: String, wasAlreadyDelivered: Bool) {
        self.messageID = messageID
        self.destination = destination
        self.wasAlreadyDelivered = wasAlreadyDelivered
    }
}
