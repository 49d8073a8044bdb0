import CFFmpeg

/// Encodes one full-range 4:2:0 ``PlanarImage`` as a JPEG file image with libavcodec's
/// `mjpeg` encoder (one MJPEG packet is a complete JPEG file).
enum JPEGEncoder {
    static func encode(_ image: PlanarImage, qscale: Int) throws(MediaError) -> [UInt8] {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG) else { throw failure("this FFmpeg build has no mjpeg encoder") }
        var context = avcodec_alloc_context3(codec)
        defer { avcodec_free_context(&context) }
        var frame = av_frame_alloc()
        defer { av_frame_free(&frame) }
        var packet = av_packet_alloc()
        defer { av_packet_free(&packet) }
        guard let context, let frame, let packet else { throw failure("out of memory") }

        let lambda = Int32(min(max(qscale, 2), 31)) * FF_QP2LAMBDA
        context.pointee.width = Int32(image.width)
        context.pointee.height = Int32(image.height)
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        // Plain yuv420p marked full range is what the encoder accepts instead of deprecated yuvj420p.
        context.pointee.color_range = AVCOL_RANGE_JPEG
        context.pointee.time_base = AVRational(num: 1, den: 1)
        context.pointee.flags |= AV_CODEC_FLAG_QSCALE
        context.pointee.global_quality = lambda
        var status = avcodec_open2(context, codec, nil)
        guard status >= 0 else { throw failure("cannot open the mjpeg encoder: \(AVErrorText.describe(status))", status) }

        frame.pointee.width = Int32(image.width)
        frame.pointee.height = Int32(image.height)
        frame.pointee.format = AV_PIX_FMT_YUV420P.rawValue
        frame.pointee.color_range = AVCOL_RANGE_JPEG
        frame.pointee.quality = lambda
        frame.pointee.pts = 0
        status = av_frame_get_buffer(frame, 0)
        guard status >= 0 else { throw failure("out of memory", status) }
        let data = [frame.pointee.data.0, frame.pointee.data.1, frame.pointee.data.2]
        let strides = [frame.pointee.linesize.0, frame.pointee.linesize.1, frame.pointee.linesize.2]
        for index in 0..<3 {
            let (w, h) = image.planeSize(index)
            guard let base = data[index] else { throw failure("no buffer for plane \(index)") }
            image.planes[index].withUnsafeBufferPointer { plane in
                for row in 0..<h { (base + row * Int(strides[index])).update(from: plane.baseAddress! + row * w, count: w) }
            }
        }

        status = avcodec_send_frame(context, frame)
        guard status >= 0 else { throw failure("the mjpeg encoder refused the picture: \(AVErrorText.describe(status))", status) }
        avcodec_send_frame(context, nil)
        status = avcodec_receive_packet(context, packet)
        guard status >= 0, let bytes = packet.pointee.data else {
            throw failure("the mjpeg encoder returned no image: \(AVErrorText.describe(status))", status)
        }
        defer { av_packet_unref(packet) }
        return Array(UnsafeBufferPointer(start: bytes, count: Int(packet.pointee.size)))
    }

    private static func failure(_ message: String, _ averror: Int32? = nil) -> MediaError {
        MediaError(code: .enrichmentFailed, path: "", message: "JPEG encoding failed: \(message)", averror: averror)
    }
}
