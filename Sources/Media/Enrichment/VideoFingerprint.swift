/// A compact perceptual fingerprint of a video: one 64-bit DCT hash (pHash) of the frame
/// shown at each whole second, so re-encodes, resizes and trims of the same content have
/// close fingerprints.
///
/// Stored as hex: 16 lowercase hex digits per hash (`hexString`), which is also its JSON
/// form (`{"hashes": "…", "secondsPerHash": 1}`), since JSON numbers cannot hold 64 bits.
public struct VideoFingerprint: Codable, Sendable, Equatable {
    /// One hash per sampled frame, in time order.
    public var hashes: [UInt64]
    /// Time between samples.
    public var secondsPerHash: Double

    /// Distance at or below which two fingerprints are taken as the same content. Unrelated
    /// clips sit near 0.5 (independent bits; the closest unrelated pair measured 0.40);
    /// 720p→360p re-encodes in another codec and 2 s trims measured 0.005–0.03.
    public static let matchThreshold = 0.25

    public init(hashes: [UInt64], secondsPerHash: Double = 1) {
        self.hashes = hashes
        self.secondsPerHash = secondsPerHash
    }

    /// The hashes as one hex string, 16 digits each.
    public var hexString: String {
        hashes.map { hash in
            let digits = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    /// Parses `hexString`; nil when the text is not a whole number of 16-digit hex hashes.
    public init?(hexString: String, secondsPerHash: Double = 1) {
        let characters = Array(hexString.utf8)
        guard characters.count % 16 == 0 else { return nil }
        var hashes: [UInt64] = []
        hashes.reserveCapacity(characters.count / 16)
        for start in stride(from: 0, to: characters.count, by: 16) {
            guard let text = String(bytes: characters[start..<start + 16], encoding: .ascii),
                  let hash = UInt64(text, radix: 16) else { return nil }
            hashes.append(hash)
        }
        self.init(hashes: hashes, secondsPerHash: secondsPerHash)
    }

    /// 0 (same) … 1 (every bit differs): the smallest mean Hamming distance per hash bit over
    /// all alignments of the two hash sequences that overlap by at least half of the shorter
    /// one, so a trimmed copy lines up with its source. 1 when either is empty or their
    /// sample spacing differs.
    public func distance(to other: VideoFingerprint) -> Double {
        guard !hashes.isEmpty, !other.hashes.isEmpty, secondsPerHash == other.secondsPerHash else { return 1 }
        let minimumOverlap = max(1, min(hashes.count, other.hashes.count) / 2)
        var best = 1.0
        // `offset`: index in `other` of our first hash (negative: we start before it).
        for offset in (minimumOverlap - hashes.count)...(other.hashes.count - minimumOverlap) {
            let first = max(0, -offset)
            let last = min(hashes.count, other.hashes.count - offset)
            guard last > first else { continue }
            var bits = 0
            for index in first..<last { bits += (hashes[index] ^ other.hashes[index + offset]).nonzeroBitCount }
            best = min(best, Double(bits) / Double(64 * (last - first)))
        }
        return best
    }

    private enum CodingKeys: String, CodingKey { case hashes, secondsPerHash }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .hashes)
        let spacing = try container.decode(Double.self, forKey: .secondsPerHash)
        guard let parsed = VideoFingerprint(hexString: text, secondsPerHash: spacing) else {
            throw DecodingError.dataCorruptedError(forKey: .hashes, in: container,
                                                   debugDescription: "expected 16 hex digits per hash")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hexString, forKey: .hashes)
        try container.encode(secondsPerHash, forKey: .secondsPerHash)
    }
}
