import CFFmpeg
import Foundation

/// PSNR and SSIM of an encode against its own input, as libx264 measures them while it
/// encodes.
///
/// x264 compares every reconstructed frame with the frame it was given (the source scaled
/// to the rendition's size) and logs the totals when the encoder closes. FFmpeg 5.1's
/// wrapper exports nothing per frame, so the closing lines are captured (see
/// `vp_encoder_summary` in the CFFmpeg shim) and parsed. Decoding every rendition again to
/// compare it cost about a seventh of a whole media pass; this costs a few percent of one
/// encode.
/// - PSNR is x264's "Global": squared error summed over Y, U, V and all frames, i.e. the
///   `average` that ffmpeg's `psnr` filter prints.
/// - SSIM is x264's mean luma SSIM over frames, i.e. the `Y` of ffmpeg's `ssim` filter.
final class EncoderQualityReport {
    private let summary: UnsafeMutablePointer<vp_encoder_summary>

    /// The log hook is process-wide; installing it once is enough.
    private static let summariesCaptured: Void = vp_capture_encoder_summaries()

    init() {
        Self.summariesCaptured
        summary = .allocate(capacity: 1)
        vp_encoder_summary_init(summary)
    }

    /// Asks a libx264 context, before it is opened, to measure and to report here. The
    /// report must outlive the context.
    func attach(to context: UnsafeMutablePointer<AVCodecContext>) {
        context.pointee.flags |= AV_CODEC_FLAG_PSNR
        av_opt_set_int(context.pointee.priv_data, "ssim", 1, 0)
        context.pointee.opaque = UnsafeMutableRawPointer(summary)
    }

    /// What x264 reported; read after its context has been freed (it reports on close).
    var measurement: (psnr: Double?, ssim: Double?) {
        let text = withUnsafeBytes(of: &summary.pointee.text) { bytes in
            String(decoding: bytes.prefix(summary.pointee.length), as: UTF8.self)
        }
        return Self.parse(text)
    }

    /// Reads `PSNR Mean Y:… Global:41.2 kb/s:…` and `SSIM Mean Y:0.9876 (19.1db)`; identical
    /// pictures come out as 100 dB, x264's own cap.
    static func parse(_ text: String) -> (psnr: Double?, ssim: Double?) {
        func number(after marker: String) -> Double? {
            guard let range = text.range(of: marker) else { return nil }
            let digits = text[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber || $0 == "." || $0 == "-" }
            return Double(digits).flatMap { $0.isFinite ? $0 : nil }
        }
        return (number(after: "Global:").map { min($0, 100) }, number(after: "SSIM Mean Y:"))
    }

    deinit { summary.deallocate() }
}
