import Foundation

/// What a real SMTP server (aiosmtpd's `Mailbox` handler) received: one file per delivered
/// message in `folder/new`. Every delivery is a file of its own, so a mail sent twice shows
/// as two files with the same Message-ID, which counting catalog rows or outbox files
/// (both keyed by Message-ID) can never show.
public struct Maildir: Sendable {
    /// One received message: its file and the headers tests group by.
    public struct Mail: Sendable {
        /// The message file.
        public var path: String
        /// Header names lowercased, values unfolded; the first occurrence of each name.
        public var headers: [String: String]

        public var messageID: String? { headers["message-id"] }
        /// `X-Vidpipe-Kind`: `ready`, `rejected`, `deleted`, ...
        public var kind: String? { headers["x-vidpipe-kind"] }
        /// The envelope recipients aiosmtpd saw (`X-RcptTo`), comma-separated.
        public var envelopeRecipients: [String] {
            (headers["x-rcptto"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    /// The Maildir folder (holding `new/`).
    public let folder: String

    public init(_ folder: String) {
        self.folder = folder
    }

    /// The shared test server's Maildir (``SMTPTestServer``).
    ///
    /// - Throws: ``TestEnvironmentError`` when the variables are missing.
    public static func shared() throws -> Maildir {
        Maildir(try SMTPTestServer.hostAndPort().maildir)
    }

    /// Every message received so far.
    ///
    /// - Throws: when `new/` or a message cannot be read: a missing Maildir is an error, not "no mail".
    public func all() throws -> [Mail] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder + "/new").sorted()
        return try names.map { name in
            let path = folder + "/new/" + name
            return Mail(path: path, headers: Self.headers(of: try Data(contentsOf: URL(fileURLWithPath: path))))
        }
    }

    /// Messages whose envelope went to `recipient`: one test's mail on a server tests share.
    public func mails(to recipient: String) throws -> [Mail] {
        try all().filter { $0.envelopeRecipients.contains(recipient) }
    }

    /// The Message-ID of every received message, once per delivery.
    public func messageIDs() throws -> [String] {
        try all().map { $0.messageID ?? "" }
    }

    /// The header block's fields, folded lines joined.
    static func headers(of message: Data) -> [String: String] {
        let text = String(decoding: message, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        let block = text.components(separatedBy: "\n\n").first ?? ""
        var fields: [String: String] = [:]
        var current: (name: String, value: String)?
        func flush() {
            if let field = current, fields[field.name] == nil { fields[field.name] = field.value }
        }
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.first == " " || line.first == "\t" {
                current?.value += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                flush()
                current = (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        flush()
        return fields
    }
}

extension Array where Element == Maildir.Mail {
    /// How many deliveries each Message-ID had.
    public var deliveriesPerMessageID: [String: Int] {
        reduce(into: [:]) { counts, mail in counts[mail.messageID ?? "", default: 0] += 1 }
    }
}
