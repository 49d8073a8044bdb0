import Foundation
import Testing
@testable import Notifications

@Suite("OutboxMailer")
struct OutboxMailerTests {
    private func message(id: String, subject: String = "Ready") throws -> EmailMessage {
        try EmailMessage(
            from: EmailAddress("pipeline@vidpipe.example"), to: [EmailAddress("ops@example.com")], subject: subject,
            date: Date(timeIntervalSince1970: 1_700_000_000), messageID: id, textBody: "body\n",
            headers: [EmailHeader(name: "X-Vidpipe-Job", value: "job-1")]
        )
    }

    private func withOutbox(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-outbox-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await body(folder + "/outbox")
    }

    private func files(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    @Test func writesOneFilePerMessageIDAndNeverRewritesIt() async throws {
        try await withOutbox { folder in
            let mailer = OutboxMailer(directory: folder)
            let first = try message(id: "<job-1.ready@vidpipe>")
            let delivery = try await mailer.send(first)
            #expect(delivery == MailDelivery(messageID: first.messageID, destination: folder + "/job-1.ready@vidpipe.eml",
                                             wasAlreadyDelivered: false))
            #expect(FileManager.default.contents(atPath: delivery.destination) == first.rfc5322())

            // A resend with the same Message-ID (even with other content) leaves the file alone.
            let again = try await mailer.send(try message(id: "<job-1.ready@vidpipe>", subject: "Changed"))
            #expect(again.wasAlreadyDelivered)
            #expect(FileManager.default.contents(atPath: delivery.destination) == first.rfc5322())

            _ = try await mailer.send(try message(id: "<job-1.rejected@vidpipe>"))
            #expect(try files(in: folder) == ["job-1.ready@vidpipe.eml", "job-1.rejected@vidpipe.eml"])

            let parsed = try parseWithPython(try #require(FileManager.default.contents(atPath: delivery.destination)))
            #expect(parsed.defects == [])
            #expect(parsed.messageID == "<job-1.ready@vidpipe>")
        }
    }

    @Test func concurrentSendsOfOneMessageWriteOneFile() async throws {
        try await withOutbox { folder in
            let mailer = OutboxMailer(directory: folder)
            let sent = try message(id: "<job-2.ready@vidpipe>")
            let deliveries = try await withThrowingTaskGroup(of: MailDelivery.self) { group in
                for _ in 0..<8 { group.addTask { try await mailer.send(sent) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(deliveries.filter { !$0.wasAlreadyDelivered }.count == 1)
            #expect(try files(in: folder) == ["job-2.ready@vidpipe.eml"])
        }
    }

    @Test(arguments: [
        ("<a/../../etc@x>", "a%2F..%2F..%2Fetc@x.eml"),
        ("<a%2F@x>", "a%252F@x.eml"),
        ("<a b@x>", "a%20b@x.eml"),
    ])
    func fileNamesStayInTheOutboxAndAreDistinct(messageID: String, fileName: String) {
        let mailer = OutboxMailer(directory: "/outbox")
        #expect(mailer.path(for: messageID) == "/outbox/" + fileName)
    }
}
