import CFFmpeg

/// libavformat's `hls` muxer writing one track (video or audio) as CMAF: an init segment
/// (`NAME_init.mp4`), fragmented-MP4 media segments (`NAME_00000.m4s` …) and the media
/// playlist `NAME.m3u8`, all in one folder.
///
/// It receives the packets the rung's MP4 receives, so the stream costs no encode. The
/// muxer cuts a segment at the first keyframe at or past each multiple of
/// `segmentSeconds` from the first packet; the rung's encoder forces an IDR exactly there,
/// so every rung cuts at the same timestamps. Owned by one encoder thread.
final class HLSTrackWriter {
    private let context: UnsafeMutablePointer<AVFormatContext>
    private let segmentSeconds: Double
    private let playlistPath: String
    private let directory: String
    private let name: String
    private var headerWritten = false
    private var finished = false

    /// The media segments' file names, a `printf` pattern of the segment number (from 0);
    /// the DASH manifest's `SegmentTemplate` names the same files.
    static func segmentNamePattern(track name: String) -> String { name + "_%05d.m4s" }

    /// Files go to `directory/NAME.m3u8`, `NAME_init.mp4`, `NAME_%05d.m4s`.
    init(directory: String, name: String, segmentSeconds: Double) throws(RenditionFailure) {
        self.segmentSeconds = segmentSeconds
        self.directory = directory
        self.name = name
        playlistPath = directory + "/" + name + ".m3u8"
        var context: UnsafeMutablePointer<AVFormatContext>?
        try RenditionFailure.check(avformat_alloc_output_context2(&context, nil, "hls", playlistPath), "cannot create an HLS muxer for \(playlistPath)")
        guard let context else { throw RenditionFailure(message: "cannot create an HLS muxer for \(playlistPath)") }
        self.context = context
    }

    /// Adds the track carrying `encoder`'s output.
    func addStream(for encoder: UnsafeMutablePointer<AVCodecContext>) throws(RenditionFailure) {
        guard let stream = avformat_new_stream(context, nil) else { throw RenditionFailure(message: "out of memory (stream)") }
        try RenditionFailure.check(avcodec_parameters_from_context(stream.pointee.codecpar, encoder), "cannot copy encoder parameters")
        stream.pointee.time_base = encoder.pointee.time_base
    }

    /// The time base the muxer settled on (valid after ``writeHeader()``).
    var timeBase: AVRational { context.pointee.streams[0]!.pointee.time_base }

    func writeHeader() throws(RenditionFailure) {
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        av_dict_set(&options, "hls_time", String(segmentSeconds), 0)
        av_dict_set(&options, "hls_segment_type", "fmp4", 0)
        av_dict_set(&options, "hls_playlist_type", "vod", 0)
        // Every segment starts with an IDR (video) or is all key packets (AAC).
        av_dict_set(&options, "hls_flags", "independent_segments", 0)
        av_dict_set(&options, "hls_fmp4_init_filename", name + "_init.mp4", 0)
        av_dict_set(&options, "hls_segment_filename", directory + "/" + Self.segmentNamePattern(track: name), 0)
        try RenditionFailure.check(avformat_write_header(context, &options), "cannot start the HLS playlist \(playlistPath)")
        headerWritten = true
    }

    /// Writes one packet already in ``timeBase``; the muxer takes its reference.
    func write(_ packet: UnsafeMutablePointer<AVPacket>) throws(RenditionFailure) {
        try RenditionFailure.check(av_interleaved_write_frame(context, packet), "cannot write a packet to \(playlistPath)")
    }

    /// Closes the last segment and writes the final playlist (with `#EXT-X-ENDLIST`).
    func finish() throws(RenditionFailure) {
        guard headerWritten, !finished else { return }
        finished = true
        try RenditionFailure.check(av_write_trailer(context), "cannot finish the HLS playlist \(playlistPath)")
    }

    deinit {
        // The hls muxer opens and closes its own files (AVFMT_NOFILE): only the context is ours.
        avformat_free_context(context)
    }
}
