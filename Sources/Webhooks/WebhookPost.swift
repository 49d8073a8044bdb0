import CCurl
import Execution
import Foundation
import Synchronization

/// What one POST to an endpoint came to.
public struct WebhookResponse: Sendable, Equatable {
    /// The HTTP status; nil when no response came.
    public var status: Int?
    public var latency: Duration
    /// What went wrong (transport error, or the status with the start of the body); nil for a 2xx.
    public var error: String?

    /// Whether the endpoint took the event.
    public var isDelivered: Bool { status.map { (200..<300).contains($0) } ?? false }

    /// Whether a later attempt may succeed: no response at all (timeout, connection refused
    /// or reset, TLS failure), 429 Too Many Requests, or a 5xx. Any other status (a 4xx, a
    /// redirect, which is not followed) means the endpoint refuses it: give up.
    public var isRetryable: Bool {
        guard let status else { return true }
        return status == 429 || (500..<600).contains(status)
    }
}

/// POSTs a body to a URL with libcurl (http and https only, certificates verified, no
/// redirects followed), on a dedicated thread; cancelling the calling task stops it.
public struct WebhookPoster: Sendable {
    /// Longest one attempt may take, connecting included.
    public var timeout: Duration
    /// PEM certificates to trust instead of the system's; nil: the system's.
    public var caFile: String?

    public init(timeout: Duration, caFile: String? = nil) {
        self.timeout = timeout
        self.caFile = caFile
    }

    public func post(_ body: [UInt8], to url: String, headers: [String]) async -> WebhookResponse {
        let started = ContinuousClock.now
        let transfer: CurlPost
        do {
            transfer = try CurlPost(url: url, body: body, headers: headers, timeout: timeout, caFile: caFile)
        } catch {
            return WebhookResponse(status: nil, latency: .zero, error: error.description)
        }
        let outcome = await withTaskCancellationHandler {
            await DedicatedThread.run(name: "vidpipe-webhook") { transfer.perform() }
        } onCancel: {
            transfer.cancel()
        }
        let latency = ContinuousClock.now - started
        guard outcome.code == CURLE_OK else {
            let detail = outcome.detail.isEmpty ? String(cString: curl_easy_strerror(outcome.code)) : outcome.detail
            return WebhookResponse(status: nil, latency: latency, error: detail)
        }
        guard (200..<300).contains(outcome.status) else {
            let excerpt = String(decoding: outcome.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return WebhookResponse(status: outcome.status, latency: latency,
                                   error: "HTTP \(outcome.status)" + (excerpt.isEmpty ? "" : ": \(excerpt)"))
        }
        return WebhookResponse(status: outcome.status, latency: latency, error: nil)
    }
}

/// A setup failure of libcurl itself (an option refused), not of the endpoint.
struct CurlSetupError: Error, CustomStringConvertible {
    var description: String
}

/// One POST through a libcurl easy handle this object owns and frees.
///
/// `@unchecked Sendable`: built on one task, then performed on exactly one thread; only the
/// atomic cancellation flag is touched from elsewhere.
final class CurlPost: @unchecked Sendable {
    struct Outcome {
        var code: CURLcode
        var detail: String
        var status: Int
        var body: [UInt8]
    }

    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let state = PostState()

    /// One `curl_global_init` before any handle; a static let runs it exactly once.
    private static let globalInit: CURLcode = vp_curl_global_init_all()

    init(url: String, body: [UInt8], headers: [String], timeout: Duration, caFile: String?) throws(CurlSetupError) {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
            throw CurlSetupError(description: "libcurl could not be initialised")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try configure(url: url, body: body, headers: headers, timeout: timeout, caFile: caFile)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    func cancel() { state.cancelled.store(true, ordering: .relaxed) }

    /// Runs the request; blocks the calling thread.
    func perform() -> Outcome {
        let code = curl_easy_perform(handle)
        var status = 0
        _ = vp_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Outcome(code: code, detail: String(cString: errorBuffer), status: status, body: state.body)
    }

    private func check(_ code: CURLcode, _ option: String) throws(CurlSetupError) {
        guard code == CURLE_OK else {
            throw CurlSetupError(description: "libcurl refused \(option): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private func configure(url: String, body: [UInt8], headers: [String], timeout: Duration, caFile: String?) throws(CurlSetupError) {
        try check(vp_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try check(url.withCString { vp_curl_setopt_string(handle, CURLOPT_URL, $0) }, "CURLOPT_URL")
        try check(vp_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "CURLOPT_PROTOCOLS_STR")
        // Signals are process-wide; a library on a worker thread must not use them for timeouts.
        try check(vp_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "CURLOPT_NOSIGNAL")
        try check(vp_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, Int(timeout.milliseconds))), "CURLOPT_TIMEOUT_MS")
        // libcurl's defaults, stated: a webhook to a host whose certificate does not verify fails.
        try check(vp_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1), "CURLOPT_SSL_VERIFYPEER")
        try check(vp_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2), "CURLOPT_SSL_VERIFYHOST")
        if let caFile {
            try check(caFile.withCString { vp_curl_setopt_string(handle, CURLOPT_CAINFO, $0) }, "CURLOPT_CAINFO")
        }
        try check(vp_curl_setopt_long(handle, CURLOPT_POST, 1), "CURLOPT_POST")
        try check(vp_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count), "CURLOPT_POSTFIELDSIZE")
        // COPYPOSTFIELDS copies the bytes now; the array may go away after this call.
        try check(body.withUnsafeBytes { vp_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress)) },
                  "CURLOPT_COPYPOSTFIELDS")
        // "Expect:" drops the 100-continue wait libcurl adds to bodies over 1 KiB.
        for header in headers + ["Content-Type: application/json", "User-Agent: vidpipe-webhooks", "Expect:"] {
            guard let list = header.withCString({ curl_slist_append(headerList, $0) }) else {
                throw CurlSetupError(description: "libcurl could not allocate the header list")
            }
            headerList = list
        }
        try check(vp_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")

        let opaque = Unmanaged.passUnretained(state).toOpaque()  // `self` keeps `state` alive
        try check(vp_curl_setopt_write_callback(handle) { buffer, size, count, opaque in
            guard let buffer, let opaque else { return 0 }
            Unmanaged<PostState>.fromOpaque(opaque).takeUnretainedValue().keep(UnsafeRawBufferPointer(start: buffer, count: size * count))
            return size * count
        }, "CURLOPT_WRITEFUNCTION")
        try check(vp_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, opaque), "CURLOPT_WRITEDATA")
        // The progress callback is the only way to stop a blocking transfer early.
        try check(vp_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0), "CURLOPT_NOPROGRESS")
        try check(vp_curl_setopt_xferinfo_callback(handle) { opaque, _, _, _, _ in
            guard let opaque else { return 0 }
            return Unmanaged<PostState>.fromOpaque(opaque).takeUnretainedValue().cancelled.load(ordering: .relaxed) ? 1 : 0
        }, "CURLOPT_XFERINFOFUNCTION")
        try check(vp_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, opaque), "CURLOPT_XFERINFODATA")
    }
}

/// What the callbacks of one POST touch: the start of the response body (for the error
/// message) and the cancellation flag.
private final class PostState: @unchecked Sendable {
    let cancelled = Atomic(false)
    private(set) var body: [UInt8] = []

    func keep(_ bytes: UnsafeRawBufferPointer) {
        if body.count < 1024 { body += bytes.prefix(1024 - body.count) }
    }
}
