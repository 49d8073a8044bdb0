import CFFmpeg
import Foundation

/// Luma PSNR of an encode against its own input, measured in-process.
///
/// FFmpeg 5.1's libx264 wrapper exports no per-frame error (`-flags +psnr` reports
/// `inf`), so the encoded packets are decoded again here and each decoded frame is
/// compared with the scaled input frame of the same timestamp. Input frames are held only
/// until their decoded twin arrives, so memory is bounded by the encoder's delay. The
/// average follows ffmpeg's `psnr` filter: mean squared error over all frames, then dB.
final class QualityMeter {
    private let decoder: CodecContext
    private let decoded: FrameReference
    private var references: [(pts: Int64, frame: FrameReference)] = []
    private var squaredErrorSum: Double = 0
    private var frames = 0
    /// Encoded frames whose input was never found (should stay 0).
    private(set) var unmatchedFrames = 0

    /// A decoder for `encoder`'s output, sharing its time base and parameter sets.
    init(encoder: UnsafeMutablePointer<AVCodecContext>) throws(RenditionFailure) {
        guard let codec = avcodec_find_decoder(encoder.pointee.codec_id) else {
            throw RenditionFailure(message: "no decoder to measure quality with")
        }
        decoder = try CodecContext(codec: codec)
        let context = decoder.pointer
        context.pointee.pkt_timebase = encoder.pointee.time_base
        context.pointee.width = encoder.pointee.width
        context.pointee.height = encoder.pointee.height
        // One thread: frame threading would add delay (more frames held) for little gain.
        context.pointee.thread_count = 1
        let size = Int(encoder.pointee.extradata_size)
        if size > 0, let source = encoder.pointee.extradata {
            guard let copy = av_mallocz(size + Int(AV_INPUT_BUFFER_PADDING_SIZE)) else { throw RenditionFailure(message: "out of memory (extradata)") }
            copy.copyMemory(from: source, byteCount: size)
            context.pointee.extradata = copy.assumingMemoryBound(to: UInt8.self)
            context.pointee.extradata_size = Int32(size)
        }
        try decoder.open(codec, name: "the quality decoder")
        guard let decoded = FrameReference() else { throw RenditionFailure(message: "out of memory (frame)") }
        self.decoded = decoded
    }

    /// The luma PSNR in dB so far; nil before any frame. Identical frames count as 100 dB
    /// (JSON has no infinity).
    var psnr: Double? {
        guard frames > 0 else { return nil }
        let meanSquaredError = squaredErrorSum / Double(frames)
        guard meanSquaredError > 0 else { return 100 }
        return min(100, 10 * log10(255 * 255 / meanSquaredError))
    }

    /// Remembers an encoder input frame until its decoded twin arrives.
    func remember(_ frame: FrameReference) {
        references.append((frame.pointer.pointee.pts, frame))
    }

    /// Decodes one encoded packet (encoder time base) and scores every frame it yields;
    /// nil drains the decoder at the end.
    func measure(_ packet: UnsafeMutablePointer<AVPacket>?) throws(RenditionFailure) {
        try RenditionFailure.check(avcodec_send_packet(decoder.pointer, packet), "quality decoder rejected a packet")
        while true {
            let status = avcodec_receive_frame(decoder.pointer, decoded.pointer)
            if status == vp_AVERROR(EAGAIN) || status == vp_AVERROR_EOF() { return }
            try RenditionFailure.check(status, "quality decoder failed")
            defer { av_frame_unref(decoded.pointer) }
            score(decoded.pointer)
        }
    }

    private func score(_ frame: UnsafeMutablePointer<AVFrame>) {
        let pts = frame.pointee.best_effort_timestamp
        // Decoded frames come out in presentation order, like the inputs went in.
        while let first = references.first, first.pts < pts {
            references.removeFirst()
            unmatchedFrames += 1
        }
        guard let first = references.first, first.pts == pts else {
            unmatchedFrames += 1
            return
        }
        references.removeFirst()
        squaredErrorSum += Self.lumaMeanSquaredError(first.frame.pointer, frame)
        frames += 1
    }

    /// Mean squared difference of the two frames' 8-bit luma planes.
    static func lumaMeanSquaredError(_ a: UnsafeMutablePointer<AVFrame>, _ b: UnsafeMutablePointer<AVFrame>) -> Double {
        let width = Int(min(a.pointee.width, b.pointee.width))
        let height = Int(min(a.pointee.height, b.pointee.height))
        guard width > 0, height > 0, let planeA = a.pointee.data.0, let planeB = b.pointee.data.0 else { return 0 }
        let strideA = Int(a.pointee.linesize.0)
        let strideB = Int(b.pointee.linesize.0)
        var total: UInt64 = 0
        for y in 0..<height {
            let rowA = UnsafeBufferPointer(start: planeA + y * strideA, count: width)
            let rowB = UnsafeBufferPointer(start: planeB + y * strideB, count: width)
            // One row of 8-bit squares fits in 32 bits up to 66,000 pixels wide.
            var rowTotal: UInt32 = 0
            for x in 0..<width {
                let difference = Int32(rowA[x]) - Int32(rowB[x])
                rowTotal &+= UInt32(difference * difference)
            }
            total += UInt64(rowTotal)
        }
        return Double(total) / Double(width * height)
    }
}
