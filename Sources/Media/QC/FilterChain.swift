import CFFmpeg

/// One libavfilter chain, `buffer`/`abuffer` → FILTERS → `buffersink`/`abuffersink`, built
/// for one frame format. It is drained after every frame it is given, so at most the few
/// frames a filter needs for context (idet keeps three) are alive at any time.
final class FilterChain {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>
    /// Carries our reference to a decoded frame into the source; never owns pixels.
    private let input: UnsafeMutablePointer<AVFrame>
    private let output: UnsafeMutablePointer<AVFrame>
    private let format: FrameFormat
    private let path: String

    /// What a chain was built for: a frame of another format needs another chain.
    private struct FrameFormat: Equatable {
        var format: Int32
        var width: Int32
        var height: Int32
        var sampleRate: Int32
        var channels: Int32

        init(_ frame: UnsafeMutablePointer<AVFrame>) {
            format = frame.pointee.format
            width = frame.pointee.width
            height = frame.pointee.height
            sampleRate = frame.pointee.sample_rate
            channels = frame.pointee.ch_layout.nb_channels
        }
    }

    /// A chain of video filters for frames shaped like `frame`, timestamps in `timeBase`.
    convenience init(videoLike frame: UnsafeMutablePointer<AVFrame>, timeBase: AVRational, filters: String, path: String) throws(MediaError) {
        let f = frame.pointee
        var aspect = f.sample_aspect_ratio
        if aspect.num <= 0 || aspect.den <= 0 { aspect = AVRational(num: 1, den: 1) }
        let arguments = "video_size=\(f.width)x\(f.height):pix_fmt=\(f.format):time_base=\(timeBase.num)/\(timeBase.den)"
            + ":pixel_aspect=\(aspect.num)/\(aspect.den)"
        try self.init(frame: frame, source: "buffer", arguments: arguments, sink: "buffersink", filters: filters, path: path)
    }

    /// A chain of audio filters for frames shaped like `frame`; timestamps count samples.
    convenience init(audioLike frame: UnsafeMutablePointer<AVFrame>, filters: String, path: String) throws(MediaError) {
        let f = frame.pointee
        let format = swiftString(av_get_sample_fmt_name(AVSampleFormat(rawValue: f.format))) ?? "\(f.format)"
        var arguments = "time_base=1/\(f.sample_rate):sample_rate=\(f.sample_rate):sample_fmt=\(format)"
        var mask = f.ch_layout.order == AV_CHANNEL_ORDER_NATIVE ? f.ch_layout.u.mask : 0
        if mask == 0 {
            // An unspecified layout (Matroska PCM, some WAV) fails negotiation; assume the
            // usual one for the channel count, as the ffmpeg CLI does.
            var guess = AVChannelLayout()
            av_channel_layout_default(&guess, f.ch_layout.nb_channels)
            mask = guess.order == AV_CHANNEL_ORDER_NATIVE ? guess.u.mask : 0
        }
        arguments += mask != 0 ? ":channel_layout=0x\(String(mask, radix: 16))" : ":channels=\(f.ch_layout.nb_channels)"
        try self.init(frame: frame, source: "abuffer", arguments: arguments, sink: "abuffersink", filters: filters, path: path)
    }

    private init(frame: UnsafeMutablePointer<AVFrame>, source sourceName: String, arguments: String, sink sinkName: String,
                 filters: String, path: String) throws(MediaError) {
        self.path = path
        format = FrameFormat(frame)
        func buildFailure(_ what: String, _ status: Int32) -> MediaError {
            MediaError(code: .analysisFailed, path: path,
                       message: "\(path): cannot build the filter chain '\(filters)': \(what) (\(AVErrorText.describe(status)))", averror: status)
        }
        var graph = avfilter_graph_alloc()
        guard let graphPointer = graph, let input = av_frame_alloc(), let output = av_frame_alloc() else {
            avfilter_graph_free(&graph)
            throw buildFailure("out of memory", vp_AVERROR(ENOMEM))
        }
        var built = false
        // Until the chain is complete, this function owns what it allocated.
        defer {
            if !built {
                avfilter_graph_free(&graph)
                var frames: (UnsafeMutablePointer<AVFrame>?, UnsafeMutablePointer<AVFrame>?) = (input, output)
                av_frame_free(&frames.0)
                av_frame_free(&frames.1)
            }
        }
        var source: UnsafeMutablePointer<AVFilterContext>?
        var status = avfilter_graph_create_filter(&source, avfilter_get_by_name(sourceName), "in", arguments, nil, graphPointer)
        guard status >= 0, let source else { throw buildFailure("\(sourceName)=\(arguments)", status) }
        var sink: UnsafeMutablePointer<AVFilterContext>?
        status = avfilter_graph_create_filter(&sink, avfilter_get_by_name(sinkName), "out", nil, nil, graphPointer)
        guard status >= 0, let sink else { throw buildFailure(sinkName, status) }

        // The parser sees the source as an open output labelled "in" and the sink as an
        // open input labelled "out"; the filter string is linked between them.
        var openOutputs = avfilter_inout_alloc()
        var openInputs = avfilter_inout_alloc()
        // The parser updates both lists to what stayed unlinked; those are ours to free.
        defer {
            avfilter_inout_free(&openOutputs)
            avfilter_inout_free(&openInputs)
        }
        guard let outputEnd = openOutputs, let inputEnd = openInputs else { throw buildFailure("out of memory", vp_AVERROR(ENOMEM)) }
        outputEnd.pointee.name = av_strdup("in")
        outputEnd.pointee.filter_ctx = source
        outputEnd.pointee.pad_idx = 0
        outputEnd.pointee.next = nil
        inputEnd.pointee.name = av_strdup("out")
        inputEnd.pointee.filter_ctx = sink
        inputEnd.pointee.pad_idx = 0
        inputEnd.pointee.next = nil
        status = avfilter_graph_parse_ptr(graphPointer, filters, &openInputs, &openOutputs, nil)
        guard status >= 0 else { throw buildFailure("parse", status) }
        status = avfilter_graph_config(graphPointer, nil)
        guard status >= 0 else { throw buildFailure("configure", status) }

        self.graph = graphPointer
        self.source = source
        self.sink = sink
        self.input = input
        self.output = output
        built = true
    }

    deinit {
        avfilter_graph_free(&graph)
        var frames: (UnsafeMutablePointer<AVFrame>?, UnsafeMutablePointer<AVFrame>?) = (input, output)
        av_frame_free(&frames.0)
        av_frame_free(&frames.1)
    }

    /// Whether `frame` has the format, size and layout this chain was built for.
    func accepts(_ frame: UnsafeMutablePointer<AVFrame>) -> Bool { FrameFormat(frame) == format }

    /// Feeds one frame (a new reference, no pixel copy) stamped with `pts`, then hands every
    /// frame the chain produces to `handle` before returning.
    func push(_ frame: UnsafeMutablePointer<AVFrame>, pts: Int64, handle: (UnsafeMutablePointer<AVFrame>) -> Void) throws(MediaError) {
        var status = av_frame_ref(input, frame)
        guard status >= 0 else { throw failure("reference a frame", status) }
        input.pointee.pts = pts
        // Without KEEP_REF the source takes over the reference `input` holds, leaving it blank.
        status = av_buffersrc_add_frame_flags(source, input, 0)
        av_frame_unref(input)
        guard status >= 0 else { throw failure("feed a frame", status) }
        try drain(handle)
    }

    /// Signals the end of the stream and hands over the frames filters were still holding.
    func finish(handle: (UnsafeMutablePointer<AVFrame>) -> Void) throws(MediaError) {
        let status = av_buffersrc_add_frame_flags(source, nil, 0)
        guard status >= 0 else { throw failure("end the stream", status) }
        try drain(handle)
    }

    private func drain(_ handle: (UnsafeMutablePointer<AVFrame>) -> Void) throws(MediaError) {
        while true {
            let status = av_buffersink_get_frame(sink, output)
            if status == vp_AVERROR(EAGAIN) || status == vp_AVERROR_EOF() { return }
            guard status >= 0 else { throw failure("filter a frame", status) }
            handle(output)
            av_frame_unref(output)
        }
    }

    private func failure(_ what: String, _ status: Int32) -> MediaError {
        MediaError(code: .analysisFailed, path: path,
                   message: "\(path): a QC filter chain could not \(what): \(AVErrorText.describe(status))", averror: status)
    }

    /// The value of a frame metadata entry a filter set (`lavfi.black_start`, ...).
    static func metadata(_ frame: UnsafeMutablePointer<AVFrame>, _ key: String) -> String? {
        guard let entry = av_dict_get(frame.pointee.metadata, key, nil, AV_DICT_MATCH_CASE) else { return nil }
        return swiftString(entry.pointee.value)
    }
}
