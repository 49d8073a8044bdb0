/// What to render for a video's thumbnails. Defaults suit a player's scrub preview.
public struct ThumbnailOptions: Sendable, Equatable {
    /// Tiles on the contact sheet, evenly spaced over the duration. Default 25. Clips with
    /// fewer frames get one tile per frame.
    public var tiles = 25
    /// Tiles per sprite row. Default 5 (a 5×5 grid with the default tile count).
    public var columns = 5
    /// Tile width in pixels; the height keeps the displayed aspect ratio (even). Default 160.
    public var tileWidth = 160
    /// Poster width limit; smaller sources are never upscaled. Default 1280.
    public var posterMaxWidth = 1280
    /// JPEG quality on ffmpeg's `-q:v` scale, 2 (best) … 31. Default 3.
    public var jpegQScale = 3
    /// Most frames evaluated as poster candidates, spread over the duration (and never more
    /// than two a second). Default 60.
    public var posterCandidates = 60
    /// Mean luma (0…255) below which a candidate counts as black. Default 32, just above
    /// limited-range black (16) with some noise.
    public var posterMinimumMeanLuma = 32.0

    public init() {}
}

/// The thumbnail files written for one video.
public struct ThumbnailSet: Codable, Sendable, Equatable {
    /// The representative frame, upright, at most `posterMaxWidth` wide.
    public var posterPath: String
    /// The contact sheet: tiles in rows of `columns`, left to right, top to bottom.
    public var spritePath: String
    /// WebVTT cues mapping time ranges to `sprite.jpg#xywh=x,y,w,h`.
    public var storyboardPath: String
    public var tileCount: Int
    public var tileWidth: Int
    public var tileHeight: Int
    /// Presentation time of the poster frame.
    public var posterSeconds: Double
}
