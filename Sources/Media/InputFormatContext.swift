import CFFmpeg

/// Owns one demuxer context opened with `avformat_open_input`; closes it in `deinit`.
final class InputFormatContext {
    /// A failed libav call: its return code and `av_strerror` text.
    struct Failure: Error {
        var averror: Int32
        var reason: String { AVErrorText.describe(averror) }
    }

    let pointer: UnsafeMutablePointer<AVFormatContext>

    /// Opens `path` as a local file and reads the container header.
    init(path: String) throws(Failure) {
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        // ffprobe sets this too: without it an MPEG-TS may report fewer programs/streams.
        av_dict_set(&options, "scan_all_pmts", "1", AV_DICT_DONT_OVERWRITE)
        var context: UnsafeMutablePointer<AVFormatContext>?
        // The `file:` prefix keeps names containing ':' from being read as protocol URLs.
        let status = avformat_open_input(&context, "file:" + path, nil, &options)
        guard status >= 0, let context else { throw Failure(averror: status) }
        pointer = context
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = pointer
        avformat_close_input(&context)
    }

    /// Reads packets as needed to fill in codec parameters, like ffprobe does.
    func findStreamInfo() throws(Failure) {
        let status = avformat_find_stream_info(pointer, nil)
        guard status >= 0 else { throw Failure(averror: status) }
    }

    var streams: [UnsafeMutablePointer<AVStream>] {
        let count = Int(pointer.pointee.nb_streams)
        guard count > 0, let array = pointer.pointee.streams else { return [] }
        return (0..<count).compactMap { array[$0] }
    }
}

/// `av_err2str` is a macro; this is its function form.
enum AVErrorText {
    static func describe(_ averror: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            guard let base = buffer.baseAddress, av_strerror(averror, base, buffer.count) == 0 else {
                return "FFmpeg error \(averror), which FFmpeg has no text for"
            }
            return String(cString: base)
        }
    }
}

/// Copies a libav C string into Swift, nil for NULL.
func swiftString(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}

/// Copies every entry of an `AVDictionary` (NULL gives an empty dictionary).
func swiftDictionary(_ dictionary: OpaquePointer?) -> [String: String] {
    var result: [String: String] = [:]
    var entry: UnsafeMutablePointer<AVDictionaryEntry>?
    // An empty key with IGNORE_SUFFIX matches every entry, in insertion order.
    while let next = av_dict_get(dictionary, "", entry, AV_DICT_IGNORE_SUFFIX) {
        if let key = next.pointee.key, let value = next.pointee.value {
            result[String(cString: key)] = String(cString: value)
        }
        entry = next
    }
    return result
}
