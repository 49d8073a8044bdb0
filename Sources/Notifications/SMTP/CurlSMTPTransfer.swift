import CCurl
import Execution
import Foundation
import Synchronization

/// One SMTP transaction (MAIL FROM, RCPT TO, DATA) through a libcurl easy handle that this
/// object owns and frees.
///
/// `@unchecked Sendable` because it is built on one task and then performed on exactly one
/// thread; the only state touched from elsewhere is the atomic cancellation flag.
final class CurlSMTPTransfer: @unchecked Sendable {
    /// The outcome of ``perform()``: libcurl's code, the server's last reply code (0 when it
    /// never replied) and libcurl's detailed error text.
    struct Outcome {
        var code: CURLcode
        var replyCode: Int
        var detail: String
    }

    private let handle: UnsafeMutableRawPointer
    private var recipients: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let upload: UploadSource

    /// libcurl wants one `curl_global_init` before any handle, and it is not thread-safe:
    /// a static let runs it exactly once.
    private static let globalInit: CURLcode = vp_curl_global_init_all()

    init(settings: SMTPSettings, from: String, to: [String], body: Data) throws {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
            throw MailError(.smtpFailed, "libcurl could not be initialised")
        }
        self.handle = handle
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        self.upload = UploadSource(bytes: [UInt8](body))
        try configure(settings: settings, from: from, to: to)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(recipients)
        errorBuffer.deallocate()
    }

    /// Makes a running ``perform()`` stop at its next progress check.
    func cancel() {
        upload.cancelled.store(true, ordering: .relaxed)
    }

    /// Runs the whole SMTP conversation; blocks the calling thread.
    func perform() -> Outcome {
        let code = curl_easy_perform(handle)
        var reply = 0
        _ = vp_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        let detail = String(cString: errorBuffer)
        return Outcome(code: code, replyCode: reply, detail: detail)
    }

    private func configure(settings: SMTPSettings, from: String, to: [String]) throws {
        try configureConnection(settings)
        try configureEnvelope(from: from, to: to)
        try configureUpload()
    }

    private func check(_ code: CURLcode, _ option: String) throws {
        guard code == CURLE_OK else {
            throw MailError(.smtpFailed, "libcurl refused \(option): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private func set(_ option: CURLoption, _ value: Int, _ name: String) throws {
        try check(vp_curl_setopt_long(handle, option, value), name)
    }

    private func set(_ option: CURLoption, _ value: String, _ name: String) throws {
        // libcurl copies string options.
        try check(value.withCString { vp_curl_setopt_string(handle, option, $0) }, name)
    }

    private func configureConnection(_ settings: SMTPSettings) throws {
        try check(vp_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(CURLOPT_URL, settings.url, "CURLOPT_URL")
        try set(CURLOPT_PROTOCOLS_STR, "smtp,smtps", "CURLOPT_PROTOCOLS_STR")
        // Signals are process-wide; a library on a worker thread must not use them for timeouts.
        try set(CURLOPT_NOSIGNAL, 1, "CURLOPT_NOSIGNAL")
        try set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(settings.connectTimeout), "CURLOPT_CONNECTTIMEOUT_MS")
        try set(CURLOPT_TIMEOUT_MS, Self.milliseconds(settings.totalTimeout), "CURLOPT_TIMEOUT_MS")
        let useSSL: curl_usessl = switch settings.security {
        case .starttls, .tls: CURLUSESSL_ALL
        case .starttlsIfOffered: CURLUSESSL_TRY
        case .none: CURLUSESSL_NONE
        }
        try set(CURLOPT_USE_SSL, Int(useSSL.rawValue), "CURLOPT_USE_SSL")
        if let caCertificatePath = settings.caCertificatePath {
            try set(CURLOPT_CAINFO, caCertificatePath, "CURLOPT_CAINFO")
        }
        if let username = settings.username, let password = settings.password {
            try set(CURLOPT_USERNAME, username, "CURLOPT_USERNAME")
            try set(CURLOPT_PASSWORD, password, "CURLOPT_PASSWORD")
        }
    }

    private func configureEnvelope(from: String, to: [String]) throws {
        try set(CURLOPT_MAIL_FROM, "<\(from)>", "CURLOPT_MAIL_FROM")
        for recipient in to {
            guard let list = "<\(recipient)>".withCString({ curl_slist_append(recipients, $0) }) else {
                throw MailError(.smtpFailed, "libcurl could not allocate the recipient list")
            }
            recipients = list
        }
        try check(vp_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients), "CURLOPT_MAIL_RCPT")
    }

    private func configureUpload() throws {
        // The body comes from memory through a read callback; libcurl dot-stuffs it itself.
        try set(CURLOPT_UPLOAD, 1, "CURLOPT_UPLOAD")
        try check(vp_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(upload.bytes.count)), "CURLOPT_INFILESIZE_LARGE")
        let state = Unmanaged.passUnretained(upload).toOpaque()  // `self` keeps `upload` alive
        try check(vp_curl_setopt_read_callback(handle) { buffer, size, count, state in
            guard let buffer, let state else { return Int(CURL_READFUNC_ABORT) }
            return Unmanaged<UploadSource>.fromOpaque(state).takeUnretainedValue().read(into: buffer, capacity: size * count)
        }, "CURLOPT_READFUNCTION")
        try check(vp_curl_setopt_pointer(handle, CURLOPT_READDATA, state), "CURLOPT_READDATA")
        // The progress callback is the only way to stop a blocking transfer early.
        try set(CURLOPT_NOPROGRESS, 0, "CURLOPT_NOPROGRESS")
        try check(vp_curl_setopt_xferinfo_callback(handle) { state, _, _, _, _ in
            guard let state else { return 0 }
            return Unmanaged<UploadSource>.fromOpaque(state).takeUnretainedValue().cancelled.load(ordering: .relaxed) ? 1 : 0
        }, "CURLOPT_XFERINFOFUNCTION")
        try check(vp_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, state), "CURLOPT_XFERINFODATA")
    }

    /// A libcurl timeout in whole milliseconds, at least 1 (0 would mean no timeout).
    private static func milliseconds(_ duration: Duration) -> Int {
        Int(min(max(duration.milliseconds, 1), Double(Int32.max)))
    }
}

/// The message bytes libcurl reads, and the flag its progress callback checks.
private final class UploadSource: Sendable {
    let bytes: [UInt8]
    private let offset = Mutex(0)
    let cancelled = Atomic(false)

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        offset.withLock { offset in
            let count = min(capacity, bytes.count - offset)
            guard count > 0 else { return 0 }  // end of message
            bytes.withUnsafeBufferPointer { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
            offset += count
            return count
        }
    }
}
