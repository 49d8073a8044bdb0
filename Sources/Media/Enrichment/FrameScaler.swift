import CFFmpeg

/// Scales decoded frames to one small fixed size and format with libswscale and copies the
/// result into a ``PlanarImage``. Owns its `SwsContext` and destination frame.
///
/// The context is re-derived per frame with `sws_getCachedContext`, so a mid-stream change of
/// source size or pixel format is handled; it is rebuilt only when something changed.
final class FrameScaler {
    let width: Int
    let height: Int
    /// Gray output for analysis; 4:2:0 full-range output for JPEG pictures.
    let gray: Bool
    private let flags: Int32
    private var context: OpaquePointer?
    private let destination: UnsafeMutablePointer<AVFrame>

    init(width: Int, height: Int, gray: Bool, flags: Int32) throws(MediaError) {
        self.width = width
        self.height = height
        self.gray = gray
        self.flags = flags
        guard let frame = av_frame_alloc() else {
            throw MediaError(code: .enrichmentFailed, path: "", message: "out of memory allocating a \(width)x\(height) picture")
        }
        destination = frame
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = (gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_YUV420P).rawValue
        guard av_frame_get_buffer(frame, 0) >= 0 else {
            throw MediaError(code: .enrichmentFailed, path: "", message: "out of memory allocating a \(width)x\(height) picture")
        }
    }

    deinit {
        sws_freeContext(context)
        var frame: UnsafeMutablePointer<AVFrame>? = destination
        av_frame_free(&frame)
    }

    /// Scales `frame` and returns a copy of the result.
    func scale(_ frame: UnsafeMutablePointer<AVFrame>) throws(MediaError) -> PlanarImage {
        let source = frame.pointee
        let format = gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_YUV420P
        guard let context = sws_getCachedContext(
            context, source.width, source.height, AVPixelFormat(rawValue: source.format),
            Int32(width), Int32(height), format, flags, nil, nil, nil)
        else {
            throw MediaError(code: .enrichmentFailed, path: "",
                             message: "libswscale cannot convert \(source.width)x\(source.height) format \(source.format)")
        }
        self.context = context
        if !gray {
            // JPEG is full range; tell swscale the source range so levels are expanded once.
            let coefficients = sws_getCoefficients(SWS_CS_DEFAULT)
            let sourceFullRange: Int32 = source.color_range == AVCOL_RANGE_JPEG ? 1 : 0
            sws_setColorspaceDetails(context, coefficients, sourceFullRange, coefficients, 1, 0, 1 << 16, 1 << 16)
        }
        let status = sws_scale_frame(context, destination, frame)
        guard status >= 0 else {
            throw MediaError(code: .enrichmentFailed, path: "", message: "libswscale failed: \(AVErrorText.describe(status))",
                             averror: status)
        }
        return copyOut()
    }

    private func copyOut() -> PlanarImage {
        var image = PlanarImage(width: width, height: height, planes: [])
        let data = [destination.pointee.data.0, destination.pointee.data.1, destination.pointee.data.2]
        let strides = [destination.pointee.linesize.0, destination.pointee.linesize.1, destination.pointee.linesize.2]
        for index in 0..<(gray ? 1 : 3) {
            let (w, h) = image.planeSize(index)
            guard let base = data[index] else { continue }
            var plane = [UInt8](repeating: 0, count: w * h)
            plane.withUnsafeMutableBufferPointer { out in
                for row in 0..<h {
                    (out.baseAddress! + row * w).update(from: base + row * Int(strides[index]), count: w)
                }
            }
            image.planes.append(plane)
        }
        return image
    }
}

extension MediaError.Code {
    /// An enrichment or thumbnail step failed inside libswscale or libavcodec (out of
    /// memory, an unsupported pixel format, the JPEG encoder refusing a picture).
    public static let enrichmentFailed = MediaError.Code(rawValue: "enrichment_failed")
}
