import CFFmpeg

/// An MP4 muxer writing one file with its `moov` at the front (`movflags=+faststart`:
/// the trailer moves the index before the media data, so players start without seeking).
///
/// Owned by one encoder thread; closes the file and frees the context in `deinit`.
final class MP4Writer {
    private let context: UnsafeMutablePointer<AVFormatContext>
    private var headerWritten = false
    private var finished = false

    init(path: String) throws(RenditionFailure) {
        var context: UnsafeMutablePointer<AVFormatContext>?
        // The `file:` prefix keeps names containing ':' from being read as protocol URLs.
        try RenditionFailure.check(avformat_alloc_output_context2(&context, nil, "mp4", "file:" + path), "cannot create an MP4 muxer for \(path)")
        guard let context else { throw RenditionFailure(message: "cannot create an MP4 muxer for \(path)") }
        self.context = context
        try RenditionFailure.check(avio_open(&context.pointee.pb, "file:" + path, AVIO_FLAG_WRITE), "cannot open \(path) for writing")
    }

    /// Whether the codecs must put their parameter sets in extradata (MP4 always does).
    var wantsGlobalHeader: Bool { (context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 }

    /// Adds a stream carrying `encoder`'s output; returns its index.
    func addStream(for encoder: UnsafeMutablePointer<AVCodecContext>) throws(RenditionFailure) -> Int32 {
        guard let stream = avformat_new_stream(context, nil) else { throw RenditionFailure(message: "out of memory (stream)") }
        try RenditionFailure.check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder), "cannot copy encoder parameters")
        stream.pointee.time_base = encoder.pointee.time_base
        return stream.pointee.index
    }

    /// The time base the muxer settled on for a stream (valid after ``writeHeader()``).
    func timeBase(of stream: Int32) -> AVRational {
        context.pointee.streams[Int(stream)]!.pointee.time_base
    }

    func writeHeader() throws(RenditionFailure) {
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        av_dict_set(&options, "movflags", "+faststart", 0)
        try RenditionFailure.check(avformat_write_header(context, &options), "cannot write the MP4 header")
        headerWritten = true
    }

    /// Writes one packet already in the stream's time base; the muxer takes its reference.
    func write(_ packet: UnsafeMutablePointer<AVPacket>) throws(RenditionFailure) {
        try RenditionFailure.check(av_interleaved_write_frame(context, packet), "cannot write a packet")
    }

    /// Writes the trailer (and, for faststart, rewrites the file with the moov in front).
    func finish() throws(RenditionFailure) {
        guard headerWritten, !finished else { return }
        finished = true
        try RenditionFailure.check(av_write_trailer(context), "cannot finish the MP4 file")
    }

    deinit {
        avio_closep(&context.pointee.pb)
        avformat_free_context(context)
    }
}
