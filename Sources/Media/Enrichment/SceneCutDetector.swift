import CFFmpeg

/// Finds scene cuts the way ffmpeg's `scdet` scores them, on a small gray copy of every
/// frame: the mean absolute difference to the previous frame in percent of full scale
/// (`mafd`), and as score the smaller of `mafd` and its change since the previous frame, so a
/// steady pan or zoom (high but constant difference) does not fire.
///
/// Construct with `SceneCutDetector(options:)`, run it in a decode pass, then read `cuts`.
final class SceneCutDetector: FrameConsumer {
    private let options: EnrichmentOptions
    private var scaler: FrameScaler?
    private var previous: [UInt8]?
    private var previousMafd = 0.0
    private var frameIndex = 0
    private(set) var cuts: [SceneCut] = []

    init(options: EnrichmentOptions = EnrichmentOptions()) {
        self.options = options
    }

    func start(_ setup: DecodeSetup) throws {
        guard let video = setup.video else { return }
        // Compare the stored picture (no rotation): turning does not change a difference.
        let aspect = Double(max(video.width, 1)) / Double(max(video.height, 1))
        let width = DisplayGeometry.even(Double(min(options.sceneAnalysisWidth, max(video.width, 2))))
        scaler = try FrameScaler(width: width, height: DisplayGeometry.even(Double(width) / aspect), gray: true, flags: SWS_AREA)
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        defer { frameIndex += 1 }
        guard let scaler else { return }
        let current = try scaler.scale(frame).planes[0]
        defer { previous = current }
        guard let previous else { return }
        let mafd = Self.meanAbsoluteDifference(previous, current)
        let score = min(max(min(mafd, abs(mafd - previousMafd)), 0), 100)
        previousMafd = mafd
        if score >= options.sceneThreshold {
            cuts.append(SceneCut(seconds: seconds, frameIndex: frameIndex, score: score))
        }
    }

    /// Sum of absolute differences × 100 / (pixels × 256), `scdet`'s normalisation for 8 bits.
    static func meanAbsoluteDifference(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var sum = 0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for index in 0..<min(a.count, b.count) {
                    sum &+= abs(Int(a[index]) - Int(b[index]))
                }
            }
        }
        return Double(sum) * 100 / Double(max(a.count, 1)) / 256
    }
}
