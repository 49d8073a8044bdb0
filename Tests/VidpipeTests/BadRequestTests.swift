import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Request files the daemon cannot use: each is filed under `inbox/rejected/` with a note
/// naming the field and what is wrong, no job runs, and the catalog and lake stay as they were.
/// (Kafka messages go through the same decoder, `IngestRequest.decode`, to the dead letters.)
enum BadRequest: String, CaseIterable, CustomTestStringConvertible {
    case deeplyNested, duplicateKeys, pathWithNUL, relativePath, urlAsPath, oneMebibyteOfMetadata, notUTF8, arrayNotObject,
         missingPath, pathNotAString, unknownSchemaVersion, emailNotAnAddress, emptyRequestID

    var testDescription: String { rawValue }

    /// The request file's bytes; `root` is the allowed root.
    func payload(root: String) -> Data {
        let path = root + "/clip.mp4"
        func request(_ fields: String) -> Data { Data(#"{"schema_version": 1, "request_id": "\#(rawValue)", "submitted_at": "2026-11-27T10:00:00Z", \#(fields)}"#.utf8) }
        switch self {
        case .deeplyNested:
            return request(#""path": "\#(path)", "metadata": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        case .duplicateKeys: return request(#""path": "\#(path)", "path": "/etc/passwd""#)
        case .pathWithNUL: return request(#""path": "\#(path)\u0000.txt""#)
        case .relativePath: return request(#""path": "incoming/clip.mp4""#)
        case .urlAsPath: return request(#""path": "https://example.com/clip.mp4""#)
        case .oneMebibyteOfMetadata:
            return request(#""path": "\#(path)", "metadata": {"notes": "\#(String(repeating: "x", count: 1 << 20))"}"#)
        case .notUTF8: return request(#""path": "\#(path)", "title": ""#) + Data([0xFF, 0xFE]) + Data(#""}"#.utf8)
        case .arrayNotObject: return Data(#"[{"schema_version": 1, "path": "\#(path)"}]"#.utf8)
        case .missingPath: return request(#""email": "a@example.com""#)
        case .pathNotAString: return request(#""path": 42"#)
        case .unknownSchemaVersion: return Data(#"{"schema_version": 9, "request_id": "x", "path": "\#(path)"}"#.utf8)
        case .emailNotAnAddress: return request(#""path": "\#(path)", "email": "not an address""#)
        case .emptyRequestID: return Data(#"{"schema_version": 1, "request_id": "", "submitted_at": "2026-11-27T10:00:00Z", "path": "\#(path)"}"#.utf8)
        }
    }

    /// What the rejection note must say.
    var expectedReason: String {
        switch self {
        case .deeplyNested: "Too many nested arrays or dictionaries"
        case .duplicateKeys: #"field "path" appears twice"#
        case .pathWithNUL: #"field "path" holds a NUL byte"#
        case .relativePath: #"field "path" must be an absolute path"#
        case .urlAsPath: #"field "path" is a URL (https://…)"#
        case .oneMebibyteOfMetadata: "the limit is 1048576 (1 MiB)"
        case .notUTF8: "request is not UTF-8 text"
        case .arrayNotObject: "request must be a JSON object"
        case .missingPath: #"missing field "path""#
        case .pathNotAString: #"field "path""#
        case .unknownSchemaVersion: "unknown schema_version 9"
        case .emailNotAnAddress: #"email "not an address" is not an address"#
        case .emptyRequestID: "request_id must be 1–200 characters"
        }
    }
}

@Suite struct BadRequestTests {
    @Test func everyBadRequestIsFiledWithItsReasonAndRunsNothing() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        try Clip.good(lake.incoming + "/clip.mp4")
        #expect(try lake.process([lake.incoming + "/clip.mp4"]).status == 0)
        let before = try LakeSnapshot(lake)

        try FileManager.default.createDirectory(atPath: lake.inbox, withIntermediateDirectories: true)
        for request in BadRequest.allCases {
            try request.payload(root: lake.incoming).write(to: URL(fileURLWithPath: "\(lake.inbox)/\(request.rawValue).json"))
        }
        let daemon = try DaemonProcess(lake)
        let rejected = lake.inbox + "/rejected"
        try await waitUntil("every request filed as rejected", timeout: .seconds(60)) {
            try lake.requests(in: rejected).count == BadRequest.allCases.count
        }
        #expect(try await daemon.stop(within: 30) == 0)

        for request in BadRequest.allCases {
            let note = try String(contentsOfFile: "\(rejected)/\(request.rawValue).json.error.txt", encoding: .utf8)
            #expect(note.contains(request.expectedReason), "\(request): \(note.prefix(300))")
            #expect(note.contains("[invalid_request]"), "\(request): \(note.prefix(300))")
            #expect(note.utf8.count < 2_000, "\(request): the note does not echo the request")
        }
        // No job ran: the catalog and the lake are as they were.
        #expect(try LakeSnapshot(lake) == before)
    }

    /// The decoder on its own, where each reason can be read without a daemon.
    @Test(arguments: BadRequest.allCases)
    func decoderNamesWhatIsWrong(_ request: BadRequest) {
        do {
            let decoded = try IngestRequest.decode(request.payload(root: "/incoming"), origin: "inbox/x.json")
            Issue.record("accepted: \(decoded)")
        } catch {
            #expect(error.code == .invalidRequest)
            #expect(error.explanation.contains(request.expectedReason), "\(error.explanation.prefix(300))")
        }
    }
}
