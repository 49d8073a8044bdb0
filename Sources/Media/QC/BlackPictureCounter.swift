import CFFmpeg

/// blackdetect's per-picture test, vectorised: the share of luma samples at or below the
/// black threshold. FFmpeg 5.1's filter counts one byte per step in C and was the costliest
/// QC check on 1080p; this gives the same count for 8-bit formats and leaves every other
/// format to the filter itself.
struct BlackPictureCounter {
    private let pixelBlackThreshold: Double

    init(pixelBlackThreshold: Double) {
        self.pixelBlackThreshold = pixelBlackThreshold
    }

    /// 8-bit formats with luma in plane 0: the ones blackdetect takes without conversion.
    private static let limitedRange: Set<Int32> = [
        AV_PIX_FMT_GRAY8, AV_PIX_FMT_YUV410P, AV_PIX_FMT_YUV411P, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P,
        AV_PIX_FMT_YUV440P, AV_PIX_FMT_YUV444P, AV_PIX_FMT_NV12, AV_PIX_FMT_NV21,
    ].reduce(into: []) { $0.insert($1.rawValue) }
    private static let fullRange: Set<Int32> = [
        AV_PIX_FMT_YUVJ411P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ440P,
    ].reduce(into: []) { $0.insert($1.rawValue) }

    /// Whether frames of `format` are counted here (otherwise blackdetect must run).
    static func handles(format: Int32) -> Bool { limitedRange.contains(format) || fullRange.contains(format) }

    /// blackdetect's `picture_black_ratio` of `frame`, which must be of a handled format.
    func blackRatio(_ frame: UnsafeMutablePointer<AVFrame>) -> Double {
        let f = frame.pointee
        let width = Int(f.width), height = Int(f.height)
        guard width > 0, height > 0, let plane = f.data.0 else { return 0 }
        let full = f.color_range == AVCOL_RANGE_JPEG || Self.fullRange.contains(f.format)
        // blackdetect stores the threshold in an unsigned int: truncated, not rounded.
        let threshold = UInt8(clamping: Int(full ? pixelBlackThreshold * 255 : 16 + pixelBlackThreshold * (235 - 16)))
        let stride = Int(f.linesize.0)
        var count = 0
        for row in 0..<height {
            count += Self.countAtOrBelow(threshold, UnsafeRawPointer(plane + row * stride), width)
        }
        return Double(count) / Double(width * height)
    }

    /// Bytes of `row` that are ≤ `threshold`, 32 at a time.
    private static func countAtOrBelow(_ threshold: UInt8, _ row: UnsafeRawPointer, _ width: Int) -> Int {
        let limit = SIMD32<UInt8>(repeating: threshold)
        var count = 0
        var x = 0
        while x + 32 <= width {
            // Byte lanes overflow after 255 steps: widen and sum at least that often.
            var lanes = SIMD32<UInt8>()
            let stop = min(width, x + 255 * 32)
            while x + 32 <= stop {
                let pixels = row.loadUnaligned(fromByteOffset: x, as: SIMD32<UInt8>.self)
                // A true mask lane is all ones (-1): subtracting counts it. `replacing(with:where:)`
                // compiles to per-lane code here, some 250 times slower.
                lanes &-= unsafeBitCast(pixels .<= limit, to: SIMD32<UInt8>.self)
                x += 32
            }
            count += Int(SIMD32<UInt16>(truncatingIfNeeded: lanes).wrappedSum())
        }
        while x < width {
            if row.load(fromByteOffset: x, as: UInt8.self) <= threshold { count += 1 }
            x += 1
        }
        return count
    }
}
