import Catalog
import Media

/// One catalog video near a query fingerprint.
public struct SimilarVideo: Sendable, Codable, Equatable {
    public var videoID: String
    public var originalName: String
    public var sourcePath: String
    /// 0 identical … 1 unrelated; see ``VideoFingerprint/distance(to:)``.
    public var distance: Double
    /// Whether `distance` is within ``VideoFingerprint/matchThreshold``.
    public var isMatch: Bool

    enum CodingKeys: String, CodingKey {
        case videoID = "video_id", originalName = "original_name", sourcePath = "source_path", distance
        case isMatch = "is_match"
    }
}

/// Near-duplicate search: compares a fingerprint with every stored one. A linear scan is
/// what a catalog of this size needs; each comparison is a few thousand XORs.
public enum SimilarVideos {
    public static func nearest(to query: VideoFingerprint, in catalog: any Catalog, excluding excludedID: String? = nil,
                               limit: Int) async throws -> [SimilarVideo] {
        var ranked: [(record: FingerprintRecord, distance: Double)] = []
        for record in try await catalog.fingerprints() where record.videoID != excludedID {
            guard let stored = VideoFingerprint(hexString: record.hashesHex, secondsPerHash: record.secondsPerHash) else { continue }
            ranked.append((record, query.distance(to: stored)))
        }
        ranked.sort { $0.distance < $1.distance }
        var results: [SimilarVideo] = []
        for (record, distance) in ranked.prefix(limit) {
            let video = try await catalog.video(id: record.videoID)
            results.append(SimilarVideo(videoID: record.videoID, originalName: video?.originalName ?? "?",
                                        sourcePath: video?.sourcePath ?? "?", distance: distance,
                                        isMatch: distance <= VideoFingerprint.matchThreshold))
        }
        return results
    }

    /// The stored fingerprint of a catalog video, if it has one.
    public static func fingerprint(ofVideo id: String, in catalog: any Catalog) async throws -> VideoFingerprint? {
        try await catalog.fingerprints().first { $0.videoID == id }
            .flatMap { VideoFingerprint(hexString: $0.hashesHex, secondsPerHash: $0.secondsPerHash) }
    }
}
