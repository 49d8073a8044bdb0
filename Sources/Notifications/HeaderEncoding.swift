import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Header rendering: folding at 78 columns, RFC 2047 encoded-words, RFC 5322 dates.
enum HeaderEncoding {
    static let lineLimit = 78

    /// Joins `pieces` with single spaces after "Name: ", breaking lines (CRLF + space) only
    /// between pieces, so unfolding gives back exactly the joined text. The first piece stays on
    /// the name's line: readers keep the space of a fold right after the colon as text.
    static func structured(_ name: String, _ pieces: [String]) -> String {
        var lines: [String] = []
        var line = name + ":"
        for piece in pieces {
            if line.utf8.count + 1 + piece.utf8.count > lineLimit, line != name + ":" {
                lines.append(line)
                line = ""
            }
            line += " " + piece
        }
        lines.append(line)
        return lines.joined(separator: "\r\n")
    }

    /// Free text such as a subject: plain words when that is unambiguous, else encoded-words.
    static func unstructured(_ name: String, _ text: String) -> String {
        structured(name, plainWords(text) ?? encodedWords(text, firstWordLength: lineLimit - name.utf8.count - 2))
    }

    /// `text` split at single spaces, or nil when it needs encoding: non-ASCII or control
    /// characters, runs of spaces or tabs (folding would lose them), something that reads as
    /// an encoded-word, or a word too long for a line.
    private static func plainWords(_ text: String) -> [String]? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (32...126).contains($0) }), !text.contains("=?") else { return nil }
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard words.allSatisfy({ !$0.isEmpty && $0.utf8.count <= lineLimit - 20 }) else { return nil }
        return words
    }

    /// RFC 2047 `=?UTF-8?B?...?=` words of at most 75 characters (the first at most
    /// `firstWordLength`, to fit beside the header name), each holding whole Unicode scalars.
    /// Decoders drop the whitespace between adjacent encoded-words.
    static func encodedWords(_ text: String, firstWordLength: Int) -> [String] {
        // 12 characters of "=?UTF-8?B?" and "?="; every 4 base64 characters carry 3 bytes.
        func bytesFitting(_ length: Int) -> Int { max(4, (length - 12) / 4 * 3) }
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > bytesFitting(words.isEmpty ? min(firstWordLength, 75) : 75) {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append(encodedWord(chunk))
        }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    /// A mailbox as header pieces: `Name <addr>`, with the name as atoms, a quoted string or
    /// encoded-words as needed.
    static func mailboxPieces(_ mailbox: EmailAddress) -> [String] {
        guard let name = mailbox.displayName else { return [mailbox.address] }
        return phrase(name) + ["<\(mailbox.address)>"]
    }

    static func addressListPieces(_ mailboxes: [EmailAddress]) -> [String] {
        var pieces: [String] = []
        for (index, mailbox) in mailboxes.enumerated() {
            var mailboxPieces = mailboxPieces(mailbox)
            if index < mailboxes.count - 1 {
                mailboxPieces[mailboxPieces.count - 1] += ","
            }
            pieces += mailboxPieces
        }
        return pieces
    }

    private static func phrase(_ name: String) -> [String] {
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8)
        if let words = plainWords(name), words.allSatisfy({ $0.utf8.allSatisfy(atext.contains) }) {
            return words
        }
        if name.utf8.allSatisfy({ (32...126).contains($0) }), !name.contains("=?") {
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return ["\"\(escaped)\""]
        }
        // Room for "From: " or "To: " before the first word.
        return encodedWords(name, firstWordLength: lineLimit - 6)
    }

    /// RFC 5322 date-time in UTC, e.g. `Tue, 14 Nov 2023 22:13:20 +0000`.
    static func date(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return String(
            format: "%@, %02d %@ %04d %02d:%02d:%02d +0000",
            days[Int(parts.tm_wday)], parts.tm_mday, months[Int(parts.tm_mon)], parts.tm_year + 1900,
            parts.tm_hour, parts.tm_min, parts.tm_sec
        )
    }
}
