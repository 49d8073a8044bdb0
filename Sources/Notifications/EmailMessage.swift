import Foundation

/// An extra header of an email, e.g. `X-Vidpipe-Job`.
public struct EmailHeader: Sendable, Equatable {
    public let name: String
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An email about a job, rendered as an RFC 5322 message with MIME bodies.
///
/// The initialiser checks everything that could make the rendered message invalid or let a
/// value inject headers, so ``rfc5322()`` cannot fail.
public struct EmailMessage: Sendable, Equatable {
    public let from: EmailAddress
    public let to: [EmailAddress]
    public let subject: String
    public let date: Date
    /// Stable for a job and kind, e.g. `<job-id.ready@vidpipe>`, so a resend is recognisable.
    public let messageID: String
    public let textBody: String
    /// When present, the message is `multipart/alternative` with the text part first.
    public let htmlBody: String?
    public let headers: [EmailHeader]

    /// - Throws: ``MailError/Code/invalidMessage`` when there is no recipient, the Message-ID is
    ///   not `<left@right>`, the subject or a header value holds a line break, or a header name
    ///   is invalid or one this type writes itself.
    public init(
        from: EmailAddress, to: [EmailAddress], subject: String, date: Date, messageID: String,
        textBody: String, htmlBody: String? = nil, headers: [EmailHeader] = []
    ) throws {
        guard !to.isEmpty else { throw MailError(.invalidMessage, "no recipient") }
        guard Self.isValidMessageID(messageID) else {
            throw MailError(.invalidMessage, "Message-ID must look like <left@right>: \(messageID.debugDescription)")
        }
        guard !Self.hasLineBreak(subject) else {
            throw MailError(.invalidMessage, "subject has a line break: \(subject.debugDescription)")
        }
        for header in headers {
            guard Self.isValidHeaderName(header.name),
                  !Self.writtenHeaders.contains(header.name.lowercased()) else {
                throw MailError(.invalidMessage, "header name not allowed: \(header.name.debugDescription)")
            }
            guard !Self.hasLineBreak(header.value) else {
                throw MailError(.invalidMessage, "header \(header.name) has a line break")
            }
        }
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.headers = headers
    }

    /// The message as RFC 5322 bytes: CRLF line endings, folded headers, RFC 2047 encoded-words
    /// for non-ASCII text, UTF-8 bodies in quoted-printable.
    ///
    /// The output depends only on the message's fields (the multipart boundary derives from the
    /// Message-ID), so the same message always renders to the same bytes.
    public func rfc5322() -> Data {
        var lines: [String] = [
            HeaderEncoding.structured("Date", [HeaderEncoding.date(date)]),
            HeaderEncoding.structured("From", HeaderEncoding.mailboxPieces(from)),
            HeaderEncoding.structured("To", HeaderEncoding.addressListPieces(to)),
            HeaderEncoding.unstructured("Subject", subject),
            HeaderEncoding.structured("Message-ID", [messageID]),
            "MIME-Version: 1.0",
        ]
        lines += headers.map { HeaderEncoding.unstructured($0.name, $0.value) }

        var message = lines.joined(separator: "\r\n") + "\r\n"
        if let htmlBody {
            let boundary = "=_vidpipe_" + Self.fingerprint(messageID)
            message += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
            for (type, body) in [("text/plain", textBody), ("text/html", htmlBody)] {
                message += "--\(boundary)\r\n" + Self.partHeaders(type) + "\r\n"
                // The CRLF before a delimiter belongs to the delimiter, not to the body.
                message += QuotedPrintable.encode(body) + "\r\n"
            }
            message += "--\(boundary)--\r\n"
        } else {
            message += Self.partHeaders("text/plain") + "\r\n"
            let body = QuotedPrintable.encode(textBody)
            // A soft line break ends a body without a final newline, so it decodes back unchanged.
            message += body.hasSuffix("\r\n") ? body : body + "=\r\n"
        }
        return Data(message.utf8)
    }

    private static func partHeaders(_ type: String) -> String {
        "Content-Type: \(type); charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    }

    /// Headers that ``rfc5322()`` writes itself; extra headers may not repeat them.
    private static let writtenHeaders: Set<String> = [
        "date", "from", "to", "subject", "message-id", "mime-version", "content-type", "content-transfer-encoding",
    ]

    private static func hasLineBreak(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0 == "\r" || $0 == "\n" }
    }

    private static func isValidHeaderName(_ name: String) -> Bool {
        // RFC 5322 ftext: printable ASCII except the colon.
        !name.isEmpty && name.utf8.allSatisfy { (33...126).contains($0) && $0 != UInt8(ascii: ":") }
    }

    private static func isValidMessageID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count >= 5, bytes.first == UInt8(ascii: "<"), bytes.last == UInt8(ascii: ">") else { return false }
        let inner = bytes.dropFirst().dropLast()
        let parts = inner.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty }
            && inner.allSatisfy { (33...126).contains($0) && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    /// FNV-1a of the Message-ID in hex: a boundary that is stable per message. Quoted-printable
    /// bodies never contain "=_", so the boundary cannot occur inside a part.
    private static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
