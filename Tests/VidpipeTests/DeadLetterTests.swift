import Foundation
import Ingest
import Kafka
import Testing
import VidpipeTestSupport

/// The dead-letter topic: every unusable request and every rejected job lands there once,
/// with its reason, the original headers plus `vidpipe-error-code`, and the payload (cut at
/// 256 KiB), read back with the independent client.
@Suite(.enabled(if: KafkaTestBroker.isEnabled && SMTPTestServer.shouldRun,
                "VIDPIPE_TEST_KAFKA or VIDPIPE_TEST_SMTP is not set (scripts/services/kafka start, scripts/services/smtp start)"))
struct DeadLetterTests {
    /// Each unusable message goes to the dead-letter topic with its reason; the daemon carries on.
    @Test func badMessagesAreDeadLettered() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let inside = service.lake.incoming
        let cases: [(key: String, value: String, reason: String)] = [
            ("not-json", "hello", "not valid JSON"),
            ("wrong-type", "[1, 2, 3]", "must be a JSON object"),
            ("missing-fields", #"{"schema_version": 1, "request_id": "x"}"#, "missing field"),
            ("future-schema", #"{"schema_version": 7, "request_id": "f", "path": "/x.mp4", "submitted_at": "2026-01-01T00:00:00Z"}"#, "unknown schema_version 7"),
            ("traversal", ServiceLake.request(id: "traversal", path: inside + "/../../etc/passwd.mp4"), "path_traversal"),
        ]
        for item in cases { try service.oracle.produce(service.requests, key: item.key, value: item.value) }
        let binary = service.lake.scratch.path("binary.bin")
        try Data([0x7B, 0xFF, 0xFE, 0x00, 0x7D]).write(to: URL(fileURLWithPath: binary))
        try service.oracle.produce(service.requests, key: "non-utf8", file: binary)
        // Over the 1 MiB request limit: sent with our producer, allowed larger messages.
        let producer = try KafkaProducer(configuration: KafkaConfiguration(
            bootstrapServers: [try KafkaTestBroker.servers()], extraProperties: ["message.max.bytes": "4000000"]))
        _ = try await producer.send(topic: service.requests, key: "huge", value: [UInt8](repeating: 0x20, count: (1 << 20) + 10))
        await producer.close()
        let valid = try service.clip("after.mp4")
        try service.oracle.produce(service.requests, key: "after", value: ServiceLake.request(id: "after", path: valid))

        let daemon = try DaemonProcess(service)
        let letters = try await service.oracle.waitForMessages(service.deadLetter, count: cases.count + 2, within: 60)
        let reasons = Dictionary(letters.map { ($0.key ?? "", $0.json["reason"]?.text ?? "") }) { first, _ in first }
        for item in cases {
            #expect(reasons[item.key]?.contains(item.reason) == true || (item.key == "traversal" && letters.contains { $0.key == "traversal" && $0.json["error_code"]?.text == "path_traversal" }),
                    "\(item.key): \(reasons[item.key] ?? "no dead letter")")
        }
        #expect(reasons["non-utf8"]?.contains("not UTF-8") == true, "\(reasons)")
        #expect(letters.first { $0.key == "non-utf8" }?.json["payload_base64"]?.text == "e//+AH0=")
        #expect(reasons["huge"]?.contains("the limit is") == true, "\(reasons)")
        #expect(letters.first { $0.key == "huge" }?.json["payload_truncated"] == .bool(true))
        // Still running: the valid request after them is processed.
        let processed = try await service.oracle.waitForMessages(service.processed, count: 1, within: 30)
        #expect(processed.map(\.key) == ["after"], "\(daemon.log)")
        #expect(try await daemon.stop(within: 20) == 0)
        #expect(try service.oracle.readAll(service.deadLetter).count == cases.count + 2, "each dead-lettered once")
    }

    /// Headers of the request are copied to its dead letter, followed by
    /// `vidpipe-error-code`; a payload over 256 KiB keeps exactly its first 256 KiB.
    @Test func deadLettersCarryTheHeadersAndCutThePayload() async throws {
        let service = try ServiceLake()
        defer { service.remove() }
        let headers = ["--header", "trace-id=t-123", "--header", "source=camera-7"]
        // Not JSON, 300 KiB (under the 1 MiB request limit): refused as invalid_request.
        let big = service.lake.scratch.path("big.txt")
        let text = String((0..<(300 * 1024)).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        try Data(text.utf8).write(to: URL(fileURLWithPath: big))
        try service.oracle.run(["produce", service.requests, "--key", "big", "--file", big] + headers)
        // A valid request for a file that is not there: a recorded job, rejected.
        try service.oracle.run(["produce", service.requests, "--key", "gone", "--value",
                                ServiceLake.request(id: "gone", path: service.lake.incoming + "/gone.mp4")] + headers)

        let daemon = try DaemonProcess(service)
        _ = try await service.oracle.waitForMessages(service.deadLetter, count: 2, within: 60)
        #expect(try await daemon.stop(within: 20) == 0)
        let letters = try service.oracle.readAll(service.deadLetter)
        #expect(letters.compactMap(\.key).sorted() == ["big", "gone"], "\(daemon.log.suffix(3000))")

        let bigLetter = try #require(letters.first { $0.key == "big" })
        #expect(bigLetter.headers == [["trace-id", "t-123"], ["source", "camera-7"], ["vidpipe-error-code", "invalid_request"]])
        #expect(bigLetter.json["error_code"]?.text == "invalid_request")
        #expect(bigLetter.json["payload"]?.text == String(text.prefix(256 * 1024)))
        #expect(bigLetter.json["payload_bytes"]?.number == Double(300 * 1024))
        #expect(bigLetter.json["payload_truncated"] == .bool(true))

        let goneLetter = try #require(letters.first { $0.key == "gone" })
        #expect(goneLetter.headers == [["trace-id", "t-123"], ["source", "camera-7"], ["vidpipe-error-code", "file_not_found"]])
        #expect(goneLetter.json["payload_truncated"] == .bool(false))
        #expect(goneLetter.json["request_id"]?.text == "gone")
    }
}
