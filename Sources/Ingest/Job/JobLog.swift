import Foundation
import Synchronization

/// One line of a job's JSON-lines log.
public struct JobLogEntry: Codable, Sendable, Equatable {
    public var time: Date
    public var job: String
    /// The caller's request id: on every line, so one grep follows a request.
    public var requestID: String?
    /// The video the job is about, on every line from the moment bronze has hashed the file
    /// (the content decides it); the lines before carry none.
    public var videoID: String?
    /// `job.started`, `task.running`, `task.succeeded`, `job.finished`, …
    public var event: String
    public var task: String?
    public var attempt: Int?
    public var durationMilliseconds: Double?
    public var errorCode: String?
    public var error: String?
    public var detail: [String: String]?

    enum CodingKeys: String, CodingKey {
        case time, job, event, task, attempt, detail, error
        case requestID = "request_id", videoID = "video_id"
        case durationMilliseconds = "duration_ms"
        case errorCode = "error_code"
    }
}

/// Appends a job's events to `logs/<yyyy-mm-dd>/<job>.jsonl`, one JSON object per line,
/// flushed as written so `tail -f` and `jq` follow a running job.
public final class JobLog: Sendable {
    public let path: String
    private let jobID: String
    private let requestID: String?
    private let video = Mutex<String?>(nil)
    private let handle: Mutex<FileHandle?>

    public init(directory: String, jobID: String, requestID: String? = nil, date: Date = Date()) {
        let day = date.formatted(.iso8601.year().month().day())
        let folder = "\(directory)/\(day)"
        self.path = "\(folder)/\(jobID).jsonl"
        self.jobID = jobID
        self.requestID = requestID
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        // A log that cannot be opened must not stop the job: the catalog still records it.
        self.handle = Mutex(FileHandle(forWritingAtPath: path))
    }

    /// The video every later line names.
    public var videoID: String? {
        get { video.withLock { $0 } }
        set { video.withLock { $0 = newValue } }
    }

    public func write(_ event: String, task: String? = nil, attempt: Int? = nil, durationMilliseconds: Double? = nil,
                      errorCode: String? = nil, error: String? = nil, detail: [String: String]? = nil) {
        let entry = JobLogEntry(time: Date(), job: jobID, requestID: requestID, videoID: videoID, event: event, task: task, attempt: attempt,
                                durationMilliseconds: durationMilliseconds, errorCode: errorCode, error: error, detail: detail)
        guard var line = try? JSONEncoder.vidpipeCompact.encode(entry) else { return }
        line.append(0x0A)
        handle.withLock { handle in
            _ = try? handle?.seekToEnd()
            try? handle?.write(contentsOf: line)
        }
    }

    /// Reads a log back, for `vidpipe status` and tests.
    public static func read(path: String) throws -> [JobLogEntry] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder.vidpipe.decode(JobLogEntry.self, from: Data($0.utf8)) }
    }

    deinit {
        handle.withLock { try? $0?.close() }
    }
}
