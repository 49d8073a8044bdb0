import CCurl
import Crypto
import Execution
import Foundation
import Synchronization

/// One HTTP request through a libcurl easy handle that this object owns and frees, signed
/// with AWS Signature V4 by libcurl itself (`CURLOPT_AWS_SIGV4`).
///
/// A request body comes from memory or from a byte range of a file, and its MD5 is computed
/// as libcurl reads it (S3 answers a plain upload with that MD5 as its ETag). A 2xx response
/// body goes to a file, hashed with SHA-256 on the way; any other body is kept in memory for
/// the error message.
///
/// `@unchecked Sendable` because it is built on one task and then performed on exactly one
/// thread; the only state touched from elsewhere is the atomic cancellation flag.
final class CurlHTTPTransfer: @unchecked Sendable {
    enum Body {
        case none
        case bytes([UInt8])
        /// `length` bytes of the file at `path` from `offset`.
        case file(path: String, offset: Int64, length: Int64)
    }

    struct Response {
        var curlCode: CURLcode
        var curlDetail: String
        /// 0 when no response arrived.
        var status: Int
        /// Lower-cased names.
        var headers: [String: String]
        /// The body of a response that was not streamed to a file.
        var body: [UInt8]
        /// MD5 of what was sent, hex.
        var sentMD5: String
        /// Bytes written to the download file and their SHA-256, hex.
        var received: Int64
        var receivedSHA256: String
    }

    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let state: TransferState

    /// libcurl wants one `curl_global_init` before any handle, and it is not thread-safe:
    /// a static let runs it exactly once.
    private static let globalInit: CURLcode = vp_curl_global_init_all()
    /// 1 MiB, within both options' limits (2 MiB up, 10 MiB down in libcurl 7.88).
    private static let bufferSize = 1 << 20

    init(method: String, url: String, headers: [String], body: Body, downloadTo download: FileHandle?,
         configuration: S3Configuration) throws(S3Error) {
        guard Self.globalInit == CURLE_OK, let handle = curl_easy_init() else {
            throw S3Error(.storageLocalIO, "libcurl could not be initialised")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        do {
            state = try TransferState(body: body, download: download)
        } catch {
            curl_easy_cleanup(handle)
            errorBuffer.deallocate()
            throw S3Error(.storageLocalIO, "cannot read \(body): \(error.localizedDescription)")
        }
        try configure(method: method, url: url, headers: headers, configuration: configuration)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Makes a running ``perform()`` stop at its next progress check.
    func cancel() {
        state.cancelled.store(true, ordering: .relaxed)
    }

    /// Runs the request; blocks the calling thread.
    func perform() -> Response {
        let code = curl_easy_perform(handle)
        var status = 0
        _ = vp_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return Response(curlCode: code, curlDetail: String(cString: errorBuffer), status: status, headers: state.headers,
                        body: state.errorBody, sentMD5: state.sentMD5(), received: state.received,
                        receivedSHA256: state.receivedSHA256())
    }

    private func check(_ code: CURLcode, _ option: String) throws(S3Error) {
        guard code == CURLE_OK else {
            throw S3Error(.storageLocalIO, "libcurl refused \(option): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    private func set(_ option: CURLoption, _ value: Int, _ name: String) throws(S3Error) {
        try check(vp_curl_setopt_long(handle, option, value), name)
    }

    private func set(_ option: CURLoption, _ value: String, _ name: String) throws(S3Error) {
        // libcurl copies string options.
        try check(value.withCString { vp_curl_setopt_string(handle, option, $0) }, name)
    }

    private func configure(method: String, url: String, headers: [String], configuration: S3Configuration) throws(S3Error) {
        try check(vp_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(CURLOPT_URL, url, "CURLOPT_URL")
        try set(CURLOPT_PROTOCOLS_STR, "http,https", "CURLOPT_PROTOCOLS_STR")
        // Signals are process-wide; a library on a worker thread must not use them for timeouts.
        try set(CURLOPT_NOSIGNAL, 1, "CURLOPT_NOSIGNAL")
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout.milliseconds), "CURLOPT_CONNECTTIMEOUT_MS")
        // A stalled transfer (under 1 byte/s for the stall timeout) is cut; a slow but moving one is not.
        try set(CURLOPT_LOW_SPEED_LIMIT, 1, "CURLOPT_LOW_SPEED_LIMIT")
        try set(CURLOPT_LOW_SPEED_TIME, max(1, Int(configuration.stallTimeout.seconds)), "CURLOPT_LOW_SPEED_TIME")
        try set(CURLOPT_AWS_SIGV4, "aws:amz:\(configuration.region):s3", "CURLOPT_AWS_SIGV4")
        try set(CURLOPT_USERNAME, configuration.accessKeyID, "CURLOPT_USERNAME")
        try set(CURLOPT_PASSWORD, configuration.secretAccessKey, "CURLOPT_PASSWORD")

        var allHeaders = headers
        // The payload is not part of the signature (libcurl cannot hash a streamed body);
        // integrity is checked on the MD5/ETag and the size instead.
        allHeaders.append("x-amz-content-sha256: UNSIGNED-PAYLOAD")
        if let token = configuration.sessionToken { allHeaders.append("x-amz-security-token: \(token)") }
        // No "Expect:" to skip the 100 Continue wait: libcurl 7.88 signs that empty header
        // though it does not send it, and the store then rejects the signature.
        for header in allHeaders {
            guard let list = header.withCString({ curl_slist_append(headerList, $0) }) else {
                throw S3Error(.storageLocalIO, "libcurl could not allocate the header list")
            }
            headerList = list
        }
        try check(vp_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "CURLOPT_HTTPHEADER")

        let opaque = Unmanaged.passUnretained(state).toOpaque()  // `self` keeps `state` alive
        switch method {
        case "GET": try set(CURLOPT_HTTPGET, 1, "CURLOPT_HTTPGET")
        case "HEAD": try set(CURLOPT_NOBODY, 1, "CURLOPT_NOBODY")
        case "PUT", "POST":
            try set(CURLOPT_UPLOAD, 1, "CURLOPT_UPLOAD")
            try check(vp_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(state.bodyLength)), "CURLOPT_INFILESIZE_LARGE")
            if method == "POST" { try set(CURLOPT_CUSTOMREQUEST, "POST", "CURLOPT_CUSTOMREQUEST") }
            try check(vp_curl_setopt_read_callback(handle) { buffer, size, count, opaque in
                guard let buffer, let opaque else { return Int(CURL_READFUNC_ABORT) }
                return Unmanaged<TransferState>.fromOpaque(opaque).takeUnretainedValue().read(into: buffer, capacity: size * count)
            }, "CURLOPT_READFUNCTION")
            try check(vp_curl_setopt_pointer(handle, CURLOPT_READDATA, opaque), "CURLOPT_READDATA")
        default: try set(CURLOPT_CUSTOMREQUEST, method, "CURLOPT_CUSTOMREQUEST")
        }
        try check(vp_curl_setopt_header_callback(handle) { buffer, size, count, opaque in
            guard let buffer, let opaque else { return 0 }
            Unmanaged<TransferState>.fromOpaque(opaque).takeUnretainedValue().header(UnsafeRawBufferPointer(start: buffer, count: size * count))
            return size * count
        }, "CURLOPT_HEADERFUNCTION")
        try check(vp_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, opaque), "CURLOPT_HEADERDATA")
        try check(vp_curl_setopt_write_callback(handle) { buffer, size, count, opaque in
            guard let buffer, let opaque else { return 0 }
            return Unmanaged<TransferState>.fromOpaque(opaque).takeUnretainedValue().write(UnsafeRawBufferPointer(start: buffer, count: size * count))
        }, "CURLOPT_WRITEFUNCTION")
        try check(vp_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, opaque), "CURLOPT_WRITEDATA")
        // Bigger buffers than libcurl's defaults (64 KiB up, 16 KiB down): a sixteenth of
        // the callbacks, file reads and writes for the same bytes.
        try set(CURLOPT_UPLOAD_BUFFERSIZE, Self.bufferSize, "CURLOPT_UPLOAD_BUFFERSIZE")
        try set(CURLOPT_BUFFERSIZE, Self.bufferSize, "CURLOPT_BUFFERSIZE")
        // The progress callback is the only way to stop a blocking transfer early.
        try set(CURLOPT_NOPROGRESS, 0, "CURLOPT_NOPROGRESS")
        try check(vp_curl_setopt_xferinfo_callback(handle) { opaque, _, _, _, _ in
            guard let opaque else { return 0 }
            return Unmanaged<TransferState>.fromOpaque(opaque).takeUnretainedValue().cancelled.load(ordering: .relaxed) ? 1 : 0
        }, "CURLOPT_XFERINFOFUNCTION")
        try check(vp_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, opaque), "CURLOPT_XFERINFODATA")
    }
}

/// What the callbacks of one transfer read and write. Only libcurl's thread touches it while
/// the transfer runs, and ``CurlHTTPTransfer/perform()`` reads it after; the flag is atomic.
private final class TransferState: @unchecked Sendable {
    let cancelled = Atomic(false)
    private let bodyBytes: [UInt8]
    private let bodyFile: FileHandle?
    private let bodyOffset: Int64
    let bodyLength: Int64
    private var bodySent: Int64 = 0
    private var md5 = Insecure.MD5()

    private let download: FileHandle?
    private var sha256 = SHA256()
    private(set) var received: Int64 = 0
    private(set) var headers: [String: String] = [:]
    private var status = 0
    private(set) var errorBody: [UInt8] = []

    init(body: CurlHTTPTransfer.Body, download: FileHandle?) throws {
        self.download = download
        switch body {
        case .none:
            (bodyBytes, bodyFile, bodyOffset, bodyLength) = ([], nil, 0, 0)
        case .bytes(let bytes):
            (bodyBytes, bodyFile, bodyOffset, bodyLength) = (bytes, nil, 0, Int64(bytes.count))
        case let .file(path, offset, length):
            (bodyBytes, bodyFile, bodyOffset, bodyLength) = ([], try FileHandle(forReadingFrom: URL(fileURLWithPath: path)), offset, length)
        }
    }

    deinit { try? bodyFile?.close() }

    /// Fills libcurl's buffer straight from the file (`pread`, no copy in between) or from
    /// the bytes, hashing what goes out.
    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let wanted = Int(min(Int64(capacity), bodyLength - bodySent))
        guard wanted > 0 else { return 0 }
        let target = UnsafeMutableRawBufferPointer(start: buffer, count: wanted)
        let count: Int
        if let bodyFile {
            count = pread(bodyFile.fileDescriptor, target.baseAddress, wanted, off_t(bodyOffset + bodySent))
            guard count > 0 else { return Int(CURL_READFUNC_ABORT) }  // an error, or the file shrank
        } else {
            count = wanted
            bodyBytes.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[Int(bodySent)..<Int(bodySent) + wanted])) }
        }
        md5.update(bufferPointer: UnsafeRawBufferPointer(rebasing: target[..<count]))
        bodySent += Int64(count)
        return count
    }

    func header(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("HTTP/") {
            // A new response (after a redirect or a 100 Continue) starts over.
            headers = [:]
            status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        } else if let colon = text.firstIndex(of: ":") {
            headers[text[..<colon].lowercased()] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let download, (200..<300).contains(status) else {
            // Error documents are small; cap what is kept anyway.
            if errorBody.count < 64 << 10 { errorBody += bytes.prefix(64 << 10 - errorBody.count) }
            return bytes.count
        }
        // Straight from libcurl's buffer to the file, no copy in between.
        var written = 0
        while written < bytes.count {
            let count = Foundation.write(download.fileDescriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return 0 }  // libcurl stops with CURLE_WRITE_ERROR
            written += count
        }
        sha256.update(bufferPointer: bytes)
        received += Int64(bytes.count)
        return bytes.count
    }

    func sentMD5() -> String { md5.finalize().map { String(format: "%02x", $0) }.joined() }
    func receivedSHA256() -> String { sha256.finalize().map { String(format: "%02x", $0) }.joined() }
}
