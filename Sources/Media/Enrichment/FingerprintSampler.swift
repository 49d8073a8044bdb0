import CFFmpeg
import Foundation

/// Builds a ``VideoFingerprint``: at each whole second of presentation time it takes the
/// first frame at or after it, scales it to 32×32 gray with swscale, turns it upright, and
/// hashes it (pHash: 2-D DCT, the 8×8 lowest frequencies against their median). Every other
/// frame costs one comparison.
///
/// Construct with `FingerprintSampler()`, run it in a decode pass, then read `fingerprint`
/// (nil without video).
final class FingerprintSampler: FrameConsumer {
    static let side = 32
    private var scaler: FrameScaler?
    private var quarterTurns = 0
    private var nextSecond = 0.0
    private var halfFrame = 0.0
    private var hashes: [UInt64] = []

    var fingerprint: VideoFingerprint? { scaler == nil ? nil : VideoFingerprint(hashes: hashes, secondsPerHash: 1) }

    func start(_ setup: DecodeSetup) throws {
        guard let video = setup.video else { return }
        quarterTurns = displayQuarterTurns(rotationDegrees: video.rotationDegrees)
        let rate = video.frameRate
        // A frame stamped a hair before the second (rounded time bases) still counts for it.
        halfFrame = rate.num > 0 ? 0.5 * Double(rate.den) / Double(rate.num) : 0
        scaler = try FrameScaler(width: Self.side, height: Self.side, gray: true, flags: SWS_AREA)
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        guard let scaler, seconds + halfFrame >= nextSecond else { return }
        let picture = try scaler.scale(frame).rotated(clockwiseQuarterTurns: quarterTurns)
        let hash = Self.perceptualHash(picture.planes[0])
        // A gap in the stream repeats the hash, keeping hash i at second i.
        while seconds + halfFrame >= nextSecond {
            hashes.append(hash)
            nextSecond += 1
        }
    }

    /// The 64-bit pHash of a 32×32 gray picture: bit `8·v + u` says whether DCT coefficient
    /// (u, v) exceeds the median of the 63 lowest AC coefficients; bit 0 (the DC term, always
    /// above it) says instead whether the picture is brighter than mid-gray.
    static func perceptualHash(_ pixels: [UInt8]) -> UInt64 {
        let n = side
        let cosines = dctCosines
        // Rows first, only the 8 lowest frequencies are needed, then columns.
        var rows = [Double](repeating: 0, count: n * 8)
        for y in 0..<n {
            for u in 0..<8 {
                var sum = 0.0
                for x in 0..<n { sum += Double(pixels[y * n + x]) * cosines[u * n + x] }
                rows[y * 8 + u] = sum
            }
        }
        var coefficients = [Double](repeating: 0, count: 64)
        for v in 0..<8 {
            for u in 0..<8 {
                var sum = 0.0
                for y in 0..<n { sum += rows[y * 8 + u] * cosines[v * n + y] }
                coefficients[v * 8 + u] = sum
            }
        }
        let median = coefficients.dropFirst().sorted()[31]
        var hash: UInt64 = 0
        for index in 1..<64 where coefficients[index] > median { hash |= 1 << UInt64(index) }
        let mean = Double(pixels.reduce(0) { $0 + Int($1) }) / Double(pixels.count)
        if mean >= 128 { hash |= 1 }
        return hash
    }

    /// cos((2x + 1)·u·π / 64) for u < 8, x < 32.
    private static let dctCosines: [Double] = {
        var table: [Double] = []
        for u in 0..<8 {
            for x in 0..<side {
                let angle: Double = Double(2 * x + 1) * Double(u) * Double.pi / Double(2 * side)
                table.append(cos(angle))
            }
        }
        return table
    }()
}
