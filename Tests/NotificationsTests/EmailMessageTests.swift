import Foundation
import Testing
@testable import Notifications

/// Cases named after what they stress in the encoder.
struct EmailCase: Sendable, CustomTestStringConvertible {
    var name: String
    var subject: String
    var fromName: String?
    var toNames: [String?]
    var text: String
    var html: String?

    var testDescription: String { name }
}

let emailCases: [EmailCase] = [
    EmailCase(name: "plainASCIISingleRecipient", subject: "Ready: clip.mp4", fromName: "vidpipe", toNames: [nil],
              text: "Your video is ready.\n", html: nil),
    EmailCase(
        name: "nonASCIISubjectAndNames", subject: "Prêt : vidéo « été » 🎬 ✓", fromName: "Vidpipe Büro",
        toNames: ["Zoë Ærøskøbing", "山田 太郎"], text: "Grüße,\ndie Vidéo ist fertig — 🎬\n",
        html: "<p>Grüße — <b>fertig</b> 🎬</p>\n"
    ),
    EmailCase(
        name: "longSubjectFolds",
        subject: String(repeating: "quality control finished with warnings ", count: 6).trimmingCharacters(in: .whitespaces),
        fromName: nil, toNames: [nil, nil, nil], text: "short", html: nil
    ),
    EmailCase(
        name: "longNonASCIISubjectSplitsIntoManyWords", subject: String(repeating: "ünïcödé 🎞️ ", count: 20) + "end",
        fromName: "A very long display name that goes on and on, with a comma", toNames: ["Quote \"me\" \\ here"],
        text: "x", html: "<p>y</p>"
    ),
    EmailCase(
        name: "bodyNeedingEscapes",
        subject: "  spaces  and\ttabs  ", fromName: nil, toNames: [nil],
        text: "a=b  \ntrailing tab\t\n" + String(repeating: "long line é ", count: 30) + "\n\n=?UTF-8?B?x?=\r\nno final newline",
        html: "<pre>" + String(repeating: "é", count: 200) + "</pre>"
    ),
    EmailCase(name: "emptyBodies", subject: "=?not an encoded word?=", fromName: nil, toNames: [nil], text: "", html: ""),
]

@Suite("EmailMessage")
struct EmailMessageTests {
    @Test(arguments: emailCases)
    func pythonReadsBackWhatWasWritten(_ example: EmailCase) throws {
        let from = try EmailAddress("pipeline@vidpipe.example", displayName: example.fromName)
        let to = try example.toNames.enumerated().map { index, name in
            try EmailAddress("ops\(index)+video@mail.example.com", displayName: name)
        }
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let message = try EmailMessage(
            from: from, to: to, subject: example.subject, date: date, messageID: "<job-42.ready@vidpipe>",
            textBody: example.text, htmlBody: example.html,
            headers: [EmailHeader(name: "X-Vidpipe-Job", value: "job-42"), EmailHeader(name: "X-Vidpipe-Note", value: "café")]
        )
        let parsed = try parseWithPython(message.rfc5322())

        #expect(parsed.defects == [])
        #expect(parsed.subject == example.subject)
        #expect(parsed.from == [.init(name: example.fromName ?? "", address: from.address)])
        #expect(parsed.to == zip(example.toNames, to).map { .init(name: $0 ?? "", address: $1.address) })
        #expect(parsed.messageID == "<job-42.ready@vidpipe>")
        #expect(parsed.date == date.timeIntervalSince1970)
        #expect(parsed.mimeVersion == "1.0")
        #expect(parsed.extraHeaders == ["X-Vidpipe-Job": "job-42", "X-Vidpipe-Note": "café"])
        let expectedText = example.text.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(parsed.text == expectedText)
        #expect(parsed.html == example.html)
        #expect(parsed.contentType == (example.html == nil ? "text/plain" : "multipart/alternative"))
        #expect(parsed.longestLine <= 78)
        #expect(!parsed.hasBareLineFeed)
        #expect(parsed.isSevenBit)
    }

    @Test func renderingIsDeterministic() throws {
        let message = try EmailMessage(
            from: EmailAddress("a@b.example"), to: [EmailAddress("c@d.example")], subject: "s",
            date: Date(timeIntervalSince1970: 0), messageID: "<x@y>", textBody: "t", htmlBody: "<p>h</p>"
        )
        #expect(message.rfc5322() == message.rfc5322())
        let text = String(decoding: message.rfc5322(), as: UTF8.self)
        #expect(text.hasPrefix("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nFrom: a@b.example\r\nTo: c@d.example\r\n"))
    }

    @Test(arguments: [
        "", "plain", "@example.com", "a@", "a@@b.example", "a b@c.example", "a..b@c.example", ".a@c.example",
        "a@-c.example", "a@c..example", "é@c.example", "a@c.example\r\nBcc: x@y.example", "<a@c.example>",
    ])
    func rejectsInvalidAddresses(_ address: String) {
        let error = #expect(throws: MailError.self) { try EmailAddress(address) }
        #expect(error?.code == .invalidAddress)
    }

    @Test(arguments: ["a@b", "first.last+tag@sub.example.co.uk", "o'brien@example.com", "x_y-z@localhost"])
    func acceptsPlainAddresses(_ address: String) throws {
        #expect(try EmailAddress(address).address == address)
    }

    @Test func rejectsMessagesThatCouldInjectHeaders() throws {
        let from = try EmailAddress("a@b.example")
        let to = [try EmailAddress("c@d.example")]
        let date = Date()
        func make(subject: String = "s", messageID: String = "<x@y>", to: [EmailAddress] = to,
                  headers: [EmailHeader] = []) throws -> EmailMessage {
            try EmailMessage(from: from, to: to, subject: subject, date: date, messageID: messageID, textBody: "",
                             headers: headers)
        }
        let attempts: [() throws -> EmailMessage] = [
            { try make(subject: "hi\r\nBcc: evil@example.com") },
            { try make(messageID: "x@y") },
            { try make(messageID: "<x y@z>") },
            { try make(to: []) },
            { try make(headers: [EmailHeader(name: "Bcc", value: "x\nTo: y")]) },
            { try make(headers: [EmailHeader(name: "Subject", value: "second subject")]) },
            { try make(headers: [EmailHeader(name: "Bad Name", value: "v")]) },
        ]
        for attempt in attempts {
            let error = #expect(throws: MailError.self) { try attempt() }
            #expect(error?.code == .invalidMessage)
        }
        #expect(throws: MailError.self) { try EmailAddress("a@b.example", displayName: "x\r\nBcc: y") }
    }
}

@Suite("QuotedPrintable")
struct QuotedPrintableTests {
    @Test(arguments: [
        ("", ""),
        ("a=b", "a=3Db"),
        ("end space ", "end space=20"),
        ("é", "=C3=A9"),
        ("a\r\nb\rc\nd\n", "a\r\nb\r\nc\r\nd\r\n"),
    ])
    func encodesByRFC2045(input: String, expected: String) {
        #expect(QuotedPrintable.encode(input) == expected)
    }

    @Test func escapesAreNeverSplitAcrossSoftBreaks() {
        let encoded = QuotedPrintable.encode(String(repeating: "aé", count: 100))
        let lines = encoded.components(separatedBy: "\r\n")
        #expect(lines.count > 2)
        for line in lines {
            #expect(line.utf8.count <= 76)
            // Every "=" starts a whole two-digit escape, except one soft break at the end.
            var bytes = Array(line.utf8)
            if bytes.last == UInt8(ascii: "=") { bytes.removeLast() }
            var index = 0
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "=") {
                    #expect(index + 2 < bytes.count, "\(line)")
                    index += 3
                } else {
                    index += 1
                }
            }
        }
    }
}
