import Foundation
import VidpipeTestSupport

/// What Python's standard `email` package (policy.default) reads from a message: an oracle
/// independent of the encoder under test.
struct ParsedEmail: Decodable {
    struct Mailbox: Decodable, Equatable {
        var name: String
        var address: String
    }

    var subject: String
    var from: [Mailbox]
    var to: [Mailbox]
    var messageID: String
    var date: Double
    var mimeVersion: String
    var contentType: String
    /// Body text with CRLF turned back into LF (MIME text always travels as CRLF).
    var text: String?
    var html: String?
    var extraHeaders: [String: String]
    var defects: [String]
    var longestLine: Int
    var hasBareLineFeed: Bool
    var isSevenBit: Bool
}

private let oracleScript = #"""
import email, email.policy, email.utils, json, sys
raw = open(sys.argv[1], "rb").read()
msg = email.message_from_bytes(raw, policy=email.policy.default)
defects = [repr(d) for part in msg.walk() for d in part.defects]
for name in ("subject", "from", "to", "message-id", "date"):
    if msg[name] is not None:
        defects += [name + ": " + repr(d) for d in msg[name].defects]
def mailboxes(name):
    return [{"name": a.display_name, "address": a.addr_spec} for a in msg[name].addresses]
def body(kind):
    part = msg.get_body(preferencelist=(kind,))
    return None if part is None or part.get_content_subtype() != kind else part.get_content().replace("\r\n", "\n")
lines = raw.split(b"\r\n")
print(json.dumps({
    "subject": str(msg["subject"]),
    "from": mailboxes("from"),
    "to": mailboxes("to"),
    "messageID": str(msg["message-id"]),
    "date": email.utils.parsedate_to_datetime(str(msg["date"])).timestamp(),
    "mimeVersion": str(msg["mime-version"]),
    "contentType": msg.get_content_type(),
    "text": body("plain"),
    "html": body("html"),
    "extraHeaders": {k: str(v) for k, v in msg.items() if k.lower().startswith("x-")},
    "defects": defects,
    "longestLine": max(len(line) for line in lines),
    "hasBareLineFeed": b"\n" in b"".join(lines),
    "isSevenBit": all(b < 128 for b in raw),
}))
"""#

/// Parses `data` with Python's `email` package (run by the `python3` on PATH).
func parseWithPython(_ data: Data) throws -> ParsedEmail {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-oracle-\(UUID().uuidString).eml")
    try data.write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    var environment = ProcessInfo.processInfo.environment
    environment["PYTHONIOENCODING"] = "utf-8"
    let result = try CommandLineTool.checked("python3", ["-c", oracleScript, file.path], environment: environment)
    return try JSONDecoder().decode(ParsedEmail.self, from: result.stdout)
}
