import Execution

/// The one error type of the `Media` module.
///
/// `code` is what callers switch on (retry, dead-letter, count by kind); `message` is for
/// people: it names the file, says what is wrong and what to do about it.
public struct MediaError: RetryableError, CodedError, Sendable, CustomStringConvertible {
    /// An extensible error kind, a stable snake_case string. New kinds are new static
    /// constants, so adding one never breaks a caller's `switch` with a `default` branch.
    public struct Code: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file could not be opened for reading (missing, permissions, I/O error).
        public static let openFailed = Code(rawValue: "open_failed")
        /// The file has zero bytes.
        public static let emptyFile = Code(rawValue: "empty_file")
        /// No demuxer recognises the bytes as a media container.
        public static let unrecognizedFormat = Code(rawValue: "unrecognized_format")
        /// The file is plain text (UTF-8/ASCII), not media.
        public static let textFile = Code(rawValue: "text_file")
        /// An MP4/MOV whose top-level boxes parse but that has no `moov` box.
        public static let missingMovieIndex = Code(rawValue: "missing_movie_index")
        /// The container's index references bytes past the end of the file.
        public static let truncated = Code(rawValue: "truncated")
        /// The container opened but holds no streams.
        public static let noStreams = Code(rawValue: "no_streams")
        /// The container holds streams, but none is audio or video (subtitles, data, attachments).
        public static let noAudioOrVideo = Code(rawValue: "no_audio_or_video")
        /// `avformat_find_stream_info` failed.
        public static let streamInfoFailed = Code(rawValue: "stream_info_failed")
        /// The container was recognised but its header could not be read.
        public static let invalidContainer = Code(rawValue: "invalid_container")
        /// A stream whose codec this FFmpeg build has no decoder for.
        public static let unsupportedCodec = Code(rawValue: "unsupported_codec")
        /// A video stream declares a resolution no decoder accepts (zero, negative or absurd).
        public static let invalidDimensions = Code(rawValue: "invalid_dimensions")
        /// An in-process analyzer (a libavfilter graph) could not be built or failed mid-pass.
        public static let analysisFailed = Code(rawValue: "analysis_failed")
        /// The caller cancelled the pass before it reached the end of the file.
        public static let cancelled = Code(rawValue: "cancelled")
    }

    /// What kind of failure this is.
    public var code: Code
    /// The file the failure is about.
    public var path: String
    /// A clear, human-readable explanation including what to do.
    public var message: String
    /// The libav error code (negative), when the failure came from FFmpeg.
    public var averror: Int32?
    /// Where in this module the error was raised, as `fileID:line`.
    public var location: String

    public init(
        code: Code, path: String, message: String, averror: Int32? = nil,
        fileID: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.path = path
        self.message = message
        self.averror = averror
        self.location = "\(fileID):\(line)"
    }

    /// Whether trying the same file again later may succeed. Only I/O-level open failures
    /// qualify: every other code is a property of the bytes, which a retry does not change.
    public var isRetryable: Bool { code == .openFailed }

    /// This error as one about `path`: parts that never see the file (scalers, encoders)
    /// raise errors without it, and the pass driving them names it in front of the message.
    func about(_ path: String) -> MediaError {
        guard self.path.isEmpty else { return self }
        var error = self
        error.path = path
        error.message = "\(path): \(message)"
        return error
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let averror { text += " [averror \(averror)]" }
        return text
    }
}
