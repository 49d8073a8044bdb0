/// RFC 2045 quoted-printable for UTF-8 text bodies.
enum QuotedPrintable {
    static let lineLimit = 76

    /// Encodes `text` with CRLF line breaks and lines of at most 76 characters. Any line break
    /// in the input (LF, CRLF, CR) becomes CRLF; the result ends with CRLF exactly when the text
    /// ends with a line break.
    static func encode(_ text: String) -> String {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return normalised.split(separator: "\n", omittingEmptySubsequences: false)
            .map { encodeLine(Array($0.utf8)) }
            .joined(separator: "\r\n")
    }

    private static func encodeLine(_ bytes: [UInt8]) -> String {
        var physicalLines: [String] = []
        var line = ""
        for (offset, byte) in bytes.enumerated() {
            let isLast = offset == bytes.count - 1
            let token: String
            switch byte {
            case UInt8(ascii: "="):
                token = escape(byte)
            case 33...126:
                token = String(UnicodeScalar(byte))
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                // Whitespace at the end of a line may be stripped in transit.
                token = isLast ? escape(byte) : String(UnicodeScalar(byte))
            default:
                token = escape(byte)
            }
            // Always leave room for a trailing "=" (a soft line break, or the one that ends a body
            // without a final newline).
            if line.utf8.count + token.utf8.count > lineLimit - 1 {
                physicalLines.append(line + "=")
                line = ""
            }
            line += token
        }
        physicalLines.append(line)
        return physicalLines.joined(separator: "\r\n")
    }

    private static func escape(_ byte: UInt8) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        return String(decoding: [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
    }
}
