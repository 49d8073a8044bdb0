import CFFmpeg

/// An in-process libavfilter graph that turns decoded source frames into upright,
/// square-pixel yuv420p frames of one rung's size (`[transpose|hflip,vflip,]scale,format,setsar`).
///
/// Timestamps pass through unchanged (the graph runs in the source's time base), which
/// keeps variable-frame-rate input intact. Owned by one encoder thread; freed in `deinit`.
final class VideoScaleGraph {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>

    /// Builds the graph for frames shaped like `first`.
    init(first frame: UnsafeMutablePointer<AVFrame>, timeBase: AVRational, width: Int, height: Int, quarterTurns: Int) throws(RenditionFailure) {
        guard let graph = avfilter_graph_alloc() else { throw RenditionFailure(message: "out of memory (filter graph)") }
        self.graph = graph
        // Rungs already run in parallel on 2+ threads; slice threads would oversubscribe.
        graph.pointee.nb_threads = 1

        let input = frame.pointee
        let sar = input.sample_aspect_ratio.num > 0 ? input.sample_aspect_ratio : AVRational(num: 1, den: 1)
        let arguments = "video_size=\(input.width)x\(input.height):pix_fmt=\(input.format)"
            + ":time_base=\(timeBase.num)/\(max(timeBase.den, 1)):pixel_aspect=\(sar.num)/\(sar.den)"
        var sourceContext: UnsafeMutablePointer<AVFilterContext>?
        try RenditionFailure.check(
            avfilter_graph_create_filter(&sourceContext, avfilter_get_by_name("buffer"), "in", arguments, nil, graph),
            "cannot create the video filter source (\(arguments))")
        var sinkContext: UnsafeMutablePointer<AVFilterContext>?
        try RenditionFailure.check(
            avfilter_graph_create_filter(&sinkContext, avfilter_get_by_name("buffersink"), "out", nil, nil, graph),
            "cannot create the video filter sink")
        guard let sourceContext, let sinkContext else { throw RenditionFailure(message: "video filter endpoints missing") }
        source = sourceContext
        sink = sinkContext

        let rotation = switch quarterTurns {
        case 1: "transpose=clock,"
        case 2: "hflip,vflip,"
        case 3: "transpose=cclock,"
        default: ""
        }
        let description = "\(rotation)scale=\(width):\(height),format=yuv420p,setsar=1"
        // The parser's open ends: our source feeds the label "in", "out" feeds our sink.
        // parse_ptr replaces both lists with what stays unconnected; free whatever is left.
        var openOutputs = avfilter_inout_alloc()
        var openInputs = avfilter_inout_alloc()
        defer {
            avfilter_inout_free(&openOutputs)
            avfilter_inout_free(&openInputs)
        }
        guard let outputs = openOutputs, let inputs = openInputs else { throw RenditionFailure(message: "out of memory (filter endpoints)") }
        outputs.pointee.name = av_strdup("in")
        outputs.pointee.filter_ctx = sourceContext
        inputs.pointee.name = av_strdup("out")
        inputs.pointee.filter_ctx = sinkContext
        try RenditionFailure.check(avfilter_graph_parse_ptr(graph, description, &openInputs, &openOutputs, nil),
                                   "cannot parse the video filter graph \(description)")
        try RenditionFailure.check(avfilter_graph_config(graph, nil), "cannot configure the video filter graph \(description)")
    }

    /// Feeds one frame (keeping the caller's reference).
    func push(_ frame: UnsafeMutablePointer<AVFrame>) throws(RenditionFailure) {
        try RenditionFailure.check(av_buffersrc_add_frame_flags(source, frame, Int32(AV_BUFFERSRC_FLAG_KEEP_REF)),
                                   "video filter rejected a frame")
    }

    /// Signals the end of input so the graph releases what it holds.
    func close() throws(RenditionFailure) {
        try RenditionFailure.check(av_buffersrc_add_frame_flags(source, nil, 0), "cannot close the video filter graph")
    }

    /// The next filtered frame, or nil when the graph needs more input or is drained.
    func pull() throws(RenditionFailure) -> FrameReference? {
        guard let frame = FrameReference() else { throw RenditionFailure(message: "out of memory (frame)") }
        let status = av_buffersink_get_frame(sink, frame.pointer)
        if status == vp_AVERROR(EAGAIN) || status == vp_AVERROR_EOF() { return nil }
        try RenditionFailure.check(status, "video filter failed")
        return frame
    }

    deinit {
        avfilter_graph_free(&graph)
    }
}
