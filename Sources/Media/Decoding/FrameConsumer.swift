import CFFmpeg

/// What a consumer learns about the source before the first frame.
struct DecodeSetup {
    /// The decoded video stream, if there is one.
    struct Video {
        var streamIndex: Int
        var width: Int
        var height: Int
        var pixelFormat: AVPixelFormat
        var timeBase: AVRational
        /// The stream's average frame rate (r_frame_rate when unknown); 0/1 when neither is.
        var frameRate: AVRational
        var sampleAspectRatio: AVRational
        /// Display-matrix rotation, ffprobe's sign convention (see `StreamInfo.rotationDegrees`).
        var rotationDegrees: Double
        /// Frames the container declares (nb_frames) or duration × rate implies; nil when unknown.
        var expectedFrames: Int64?
    }

    /// The decoded audio stream, if there is one.
    struct Audio {
        var streamIndex: Int
        var sampleRate: Int
        var channels: Int
        var sampleFormat: AVSampleFormat
        var timeBase: AVRational
    }

    var path: String
    var video: Video?
    var audio: Audio?
    /// Container duration in seconds, when known.
    var durationSeconds: Double?
}

/// One participant in a decode pass: analyzers, thumbnailers and encoders all take the same
/// frames from the single decode (PySceneDetect's detector loop, here for every consumer).
///
/// Frames and packets are valid only during the call; a consumer that keeps one takes its
/// own reference (`av_frame_ref` / `av_frame_clone`) and must bound how many it keeps.
/// All calls come from the decode pass's own thread, in decode order.
protocol FrameConsumer: AnyObject {
    /// Called once before any frame.
    func start(_ setup: DecodeSetup) throws
    /// A decoded video frame; `seconds` is its presentation time from the stream start.
    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws
    /// A decoded audio frame.
    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws
    /// A demuxed packet of the decoded video or audio stream, before decoding (GOP and
    /// bit-rate statistics need sizes and key flags, not pixels).
    func consumePacket(_ packet: UnsafeMutablePointer<AVPacket>, isVideo: Bool, seconds: Double?) throws
    /// Called once after the last frame (also after a decode that ended in errors).
    func finish() throws
}

extension FrameConsumer {
    func start(_ setup: DecodeSetup) throws {}
    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {}
    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {}
    func consumePacket(_ packet: UnsafeMutablePointer<AVPacket>, isVideo: Bool, seconds: Double?) throws {}
    func finish() throws {}
}
