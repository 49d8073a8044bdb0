import CFFmpeg
import Foundation

/// Renders poster.jpg, sprite.jpg and storyboard.vtt into a directory from one decode pass.
///
/// - Poster: every k-th frame (at most `posterCandidates` over the duration) is scored on a
///   small gray copy; candidates darker than `posterMinimumMeanLuma` or nearly flat lose to
///   any others, and among the rest the sharpest (variance of the Laplacian) wins. Only the
///   current best frame is kept (one reference), and it is scaled and encoded at the end.
/// - Sprite: tile `i` is the first frame at or after the middle of its time slot; it is
///   scaled straight to tile size and pasted into the sheet, so memory is the sheet alone.
///
/// Construct with `ThumbnailRenderer(directory:options:)`, run it in a decode pass, then read
/// `result` (nil when the source has no video frames).
final class ThumbnailRenderer: FrameConsumer {
    static let posterName = "poster.jpg"
    static let spriteName = "sprite.jpg"
    static let storyboardName = "storyboard.vtt"

    private let directory: String
    private let options: ThumbnailOptions
    private(set) var result: ThumbnailSet?

    private var geometry: DisplayGeometry?
    private var frameIndex = 0
    private var halfFrame = 0.0
    private var lastFrameEnd = 0.0

    private var candidateStride = 1
    private var candidateScaler: FrameScaler?
    private let poster = OwnedFrame()
    private var posterScore: PosterScore?
    private var posterSeconds = 0.0

    private var tileScaler: FrameScaler?
    private var tileSize = (width: 0, height: 0)
    private var plannedTiles = 0
    private var columns = 1
    private var tileSpacing = 0.0
    private var declaredDuration: Double?
    private var sheet = PlanarImage.black(width: 2, height: 2)
    private var filledTiles = 0

    init(directory: String, options: ThumbnailOptions = ThumbnailOptions()) {
        self.directory = directory
        self.options = options
    }

    func start(_ setup: DecodeSetup) throws {
        guard let video = setup.video else { return }
        let geometry = DisplayGeometry(video)
        self.geometry = geometry
        let rate = video.frameRate.num > 0 ? Double(video.frameRate.num) / Double(video.frameRate.den) : nil
        halfFrame = rate.map { 0.5 / $0 } ?? 0
        declaredDuration = setup.durationSeconds ?? rate.flatMap { rate in video.expectedFrames.map { Double($0) / rate } }

        let expected = video.expectedFrames.map(Int.init)
        // At most `posterCandidates` over the clip and two a second: neighbouring frames look alike.
        let fps = rate ?? 25
        candidateStride = max(1, (expected ?? Int(fps * 60)) / max(1, options.posterCandidates), Int(fps / 2))
        let analysisWidth = min(192, max(video.width, 2))
        candidateScaler = try FrameScaler(
            width: DisplayGeometry.even(Double(analysisWidth)),
            height: DisplayGeometry.even(Double(analysisWidth) * Double(max(video.height, 1)) / Double(max(video.width, 1))),
            gray: true, flags: SWS_AREA)

        plannedTiles = max(1, min(options.tiles, expected ?? options.tiles))
        // Unknown duration: a tile every 10 s until the sheet is full.
        tileSpacing = declaredDuration.map { $0 / Double(plannedTiles) } ?? 10
        tileSize = geometry.displaySize(width: options.tileWidth)
        let stored = geometry.storedSize(for: tileSize)
        // Area averaging: the right filter for a large reduction, and cheaper than bicubic at it.
        tileScaler = try FrameScaler(width: stored.width, height: stored.height, gray: false, flags: SWS_AREA)
        columns = max(1, min(options.columns, plannedTiles))
        let rows = (plannedTiles + columns - 1) / columns
        sheet = PlanarImage.black(width: columns * tileSize.width, height: rows * tileSize.height)
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        defer { frameIndex += 1 }
        guard let geometry, let candidateScaler, let tileScaler else { return }
        lastFrameEnd = max(lastFrameEnd, seconds + 2 * halfFrame)

        if frameIndex % candidateStride == 0 {
            let score = PosterScore(try candidateScaler.scale(frame), minimumMeanLuma: options.posterMinimumMeanLuma)
            if posterScore.map({ score > $0 }) ?? true {
                try poster.hold(frame)
                posterScore = score
                posterSeconds = seconds
            }
        }

        guard filledTiles < plannedTiles, seconds + halfFrame >= (Double(filledTiles) + 0.5) * tileSpacing else { return }
        let tile = try tileScaler.scale(frame).rotated(clockwiseQuarterTurns: geometry.quarterTurns)
        // One frame fills every slot it reaches (clips with gaps, or fewer frames than tiles).
        repeat {
            sheet.paste(tile, x: (filledTiles % columns) * tileSize.width, y: (filledTiles / columns) * tileSize.height)
            filledTiles += 1
        } while filledTiles < plannedTiles && seconds + halfFrame >= (Double(filledTiles) + 0.5) * tileSpacing
    }

    func finish() throws {
        guard let geometry, let posterFrame = poster.frame, filledTiles > 0 else { return }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)

        let posterSize = geometry.displaySize(width: min(options.posterMaxWidth, geometry.displayWidth))
        let stored = geometry.storedSize(for: posterSize)
        let posterImage = try FrameScaler(width: stored.width, height: stored.height, gray: false, flags: SWS_BICUBIC)
            .scale(posterFrame).rotated(clockwiseQuarterTurns: geometry.quarterTurns)
        poster.release()
        let posterPath = (directory as NSString).appendingPathComponent(Self.posterName)
        try write(JPEGEncoder.encode(posterImage, qscale: options.jpegQScale), to: posterPath)

        let rows = (filledTiles + columns - 1) / columns
        let spritePath = (directory as NSString).appendingPathComponent(Self.spriteName)
        try write(JPEGEncoder.encode(sheet.cropped(toHeight: rows * tileSize.height), qscale: options.jpegQScale), to: spritePath)

        // A full sheet ends at the declared duration; a short one (truncated source) at the last frame.
        let end = filledTiles == plannedTiles ? (declaredDuration ?? lastFrameEnd) : lastFrameEnd
        let storyboard = Storyboard(count: filledTiles, spacing: tileSpacing, end: end, spriteName: Self.spriteName,
                                    columns: columns, tileWidth: tileSize.width, tileHeight: tileSize.height)
        let storyboardPath = (directory as NSString).appendingPathComponent(Self.storyboardName)
        try write(Array(storyboard.text.utf8), to: storyboardPath)

        result = ThumbnailSet(posterPath: posterPath, spritePath: spritePath, storyboardPath: storyboardPath,
                              tileCount: filledTiles, tileWidth: tileSize.width, tileHeight: tileSize.height,
                              posterSeconds: posterSeconds)
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw MediaError(code: .enrichmentFailed, path: path, message: "\(path): cannot write thumbnail: \(error)")
        }
    }
}

/// How good a poster candidate is: usable (not black, not flat) beats unusable, then
/// sharper beats blurrier.
struct PosterScore: Comparable {
    var usable: Bool
    /// Variance of the 4-neighbour Laplacian of the gray picture: high for crisp edges.
    var sharpness: Double
    var meanLuma: Double

    init(_ gray: PlanarImage, minimumMeanLuma: Double) {
        let (w, h) = (gray.width, gray.height)
        let pixels = gray.planes[0]
        var sum = 0.0, squares = 0.0
        for value in pixels {
            sum += Double(value)
            squares += Double(value) * Double(value)
        }
        let count = Double(max(pixels.count, 1))
        meanLuma = sum / count
        let deviation = (max(0, squares / count - meanLuma * meanLuma)).squareRoot()
        var laplacianSum = 0.0, laplacianSquares = 0.0
        if w > 2 && h > 2 {
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    let center = 4 * Int(pixels[y * w + x])
                    let value = Double(center - Int(pixels[y * w + x - 1]) - Int(pixels[y * w + x + 1])
                                       - Int(pixels[(y - 1) * w + x]) - Int(pixels[(y + 1) * w + x]))
                    laplacianSum += value
                    laplacianSquares += value * value
                }
            }
        }
        let inner = Double(max((w - 2) * (h - 2), 1))
        let laplacianMean = laplacianSum / inner
        sharpness = laplacianSquares / inner - laplacianMean * laplacianMean
        // A slate or fade is flat: a few levels of deviation is noise, not a picture.
        usable = meanLuma >= minimumMeanLuma && deviation >= 4
    }

    static func < (lhs: PosterScore, rhs: PosterScore) -> Bool {
        lhs.usable != rhs.usable ? !lhs.usable : lhs.sharpness < rhs.sharpness
    }
}

/// One frame reference held across calls (the poster candidate); unreferenced on replace
/// and freed in `deinit`.
final class OwnedFrame {
    private var pointer: UnsafeMutablePointer<AVFrame>?
    private(set) var frame: UnsafeMutablePointer<AVFrame>?

    /// Takes a reference to `source`'s buffers, dropping the one held before (no pixel copy).
    func hold(_ source: UnsafeMutablePointer<AVFrame>) throws(MediaError) {
        if pointer == nil { pointer = av_frame_alloc() }
        guard let pointer else { throw MediaError(code: .enrichmentFailed, path: "", message: "out of memory") }
        av_frame_unref(pointer)
        let status = av_frame_ref(pointer, source)
        guard status >= 0 else {
            frame = nil
            throw MediaError(code: .enrichmentFailed, path: "", message: "cannot reference a frame: \(AVErrorText.describe(status))")
        }
        frame = pointer
    }

    func release() {
        if let pointer { av_frame_unref(pointer) }
        frame = nil
    }

    deinit { av_frame_free(&pointer) }
}
