import Foundation

/// A rendered message ready for delivery: what the catalog's transactional outbox stores,
/// so a notifier can send it long after the job that wrote it has finished.
public struct MailEnvelope: Sendable, Equatable {
    public var messageID: String
    /// The SMTP envelope sender (MAIL FROM).
    public var sender: String
    /// The SMTP envelope recipients (RCPT TO).
    public var recipients: [String]
    /// The RFC 5322 bytes.
    public var content: Data

    public init(messageID: String, sender: String, recipients: [String], content: Data) {
        self.messageID = messageID
        self.sender = sender
        self.recipients = recipients
        self.content = content
    }
}

extension EmailMessage {
    /// The message rendered for delivery.
    public var envelope: MailEnvelope {
        MailEnvelope(messageID: messageID, sender: from.address, recipients: to.map(\.address), content: rfc5322())
    }
}

/// Something that delivers mail: the embedded ``OutboxMailer``, or SMTP.
public protocol MailTransport: Sendable {
    /// Delivers `envelope`. Delivering the same Message-ID again must not deliver a second
    /// copy where the transport can tell.
    func deliver(_ envelope: MailEnvelope) async throws -> MailDelivery
}

extension MailTransport {
    /// Renders and delivers `message`.
    public func send(_ message: EmailMessage) async throws -> MailDelivery {
        try await deliver(message.envelope)
    }
}

/// What a ``MailTransport`` did with a message.
public struct MailDelivery: Sendable, Equatable {
    public var messageID: String
    /// Where the message went: the .eml file for the outbox.
    public var destination: String
    /// True when this Message-ID had been delivered before and nothing new was written.
    public var wasAlreadyDelivered: Bool

    public init(messageID: String, destination: String, wasAlreadyDelivered: Bool) {
        self.messageID = messageID
        self.destination = destination
        self.wasAlreadyDelivered = wasAlreadyDelivered
    }
}
