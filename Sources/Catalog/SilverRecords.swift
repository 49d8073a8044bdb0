/// One encoded rendition of a video.
public struct RenditionRecord: Codable, Sendable, Equatable {
    public var videoID: String
    /// The ladder rung, e.g. `720p`.
    public var name: String
    public var path: String
    public var width: Int
    public var height: Int
    public var durationSeconds: Double?
    public var sizeBytes: Int64
    public var bitRate: Int64?
    /// Luma PSNR in dB against the source scaled to this size.
    public var psnr: Double?
    /// Luma SSIM (0…1) against the source scaled to this size.
    public var ssim: Double?
    /// Whether the written file was probed and matched its plan.
    public var verified: Bool

    public init(videoID: String, name: String, path: String, width: Int, height: Int, durationSeconds: Double?,
                sizeBytes: Int64, bitRate: Int64?, psnr: Double?, ssim: Double?, verified: Bool) {
        self.videoID = videoID
        self.name = name
        self.path = path
        self.width = width
        self.height = height
        self.durationSeconds = durationSeconds
        self.sizeBytes = sizeBytes
        self.bitRate = bitRate
        self.psnr = psnr
        self.ssim = ssim
        self.verified = verified
    }
}

/// A detected scene cut.
public struct SceneCutRecord: Codable, Sendable, Equatable {
    public var videoID: String
    public var seconds: Double
    public var score: Double

    public init(videoID: String, seconds: Double, score: Double) {
        self.videoID = videoID
        self.seconds = seconds
        self.score = score
    }
}

/// A video's perceptual fingerprint, for near-duplicate search.
public struct FingerprintRecord: Codable, Sendable, Equatable {
    public var videoID: String
    public var secondsPerHash: Double
    /// 64-bit hashes as 16 lower-case hex digits each, concatenated.
    public var hashesHex: String

    public init(videoID: String, secondsPerHash: Double, hashesHex: String) {
        self.videoID = videoID
        self.secondsPerHash = secondsPerHash
        self.hashesHex = hashesHex
    }
}
