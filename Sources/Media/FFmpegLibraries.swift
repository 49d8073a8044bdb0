import CFFmpeg

/// Facts about the FFmpeg libraries this process is linked against at run time.
public enum FFmpegLibraries {
    /// Run-time versions, e.g. `["libavformat": "59.27.100", ...]`.
    public static var versions: [String: String] {
        [
            "libavformat": dotted(avformat_version()),
            "libavcodec": dotted(avcodec_version()),
            "libavutil": dotted(avutil_version()),
            "libswscale": dotted(swscale_version()),
            "libswresample": dotted(swresample_version()),
            "libavfilter": dotted(avfilter_version()),
        ]
    }

    /// How much libav* writes to stderr; process-wide, like `av_log_set_level`.
    public enum LogLevel: Int32, Sendable {
        case quiet = -8, panic = 0, fatal = 8, error = 16, warning = 24, info = 32, verbose = 40, debug = 48
    }

    /// Sets libav*'s process-wide log level. A daemon usually wants `.error` or `.quiet`:
    /// probe failures are reported through `MediaError` anyway.
    public static func setLogLevel(_ level: LogLevel) {
        av_log_set_level(level.rawValue)
    }

    // AV_VERSION_INT packs major<<16 | minor<<8 | micro.
    private static func dotted(_ packed: UInt32) -> String {
        "\(packed >> 16).\((packed >> 8) & 0xFF).\(packed & 0xFF)"
    }
}
