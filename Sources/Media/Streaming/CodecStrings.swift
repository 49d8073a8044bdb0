import Foundation

/// RFC 6381 codec strings for `CODECS`, read from what an init segment actually holds, so
/// a player is told the profile and level that were written rather than the ones asked for.
enum CodecStrings {
    /// `avc1.PPCCLL` from the `avcC` box: profile_idc, constraint flags, level_idc as written
    /// in the SPS the encoder produced.
    static func avc(initSegment bytes: [UInt8]) -> String? {
        guard let body = InitSegmentBoxes.body("avcC", in: bytes), body.count >= 4, body[body.startIndex] == 1 else { return nil }
        let fields = body[(body.startIndex + 1)..<(body.startIndex + 4)]
        return "avc1." + fields.map { String(format: "%02x", $0) }.joined()
    }

    /// `mp4a.OO.A` from the `esds` box: the object type indication (0x40: MPEG-4 audio) and
    /// the audio object type of the AudioSpecificConfig (2: AAC-LC).
    static func mp4a(initSegment bytes: [UInt8]) -> String? {
        guard let body = InitSegmentBoxes.body("esds", in: bytes), body.count > 4 else { return nil }
        var reader = DescriptorReader(bytes: Array(body.dropFirst(4)))  // version and flags
        guard reader.enter(tag: 0x03) else { return nil }
        reader.skip(2)  // ES_ID
        guard let flags = reader.byte() else { return nil }
        if flags & 0x80 != 0 { reader.skip(2) }  // dependsOn_ES_ID
        if flags & 0x40 != 0, let length = reader.byte() { reader.skip(Int(length)) }  // URL
        if flags & 0x20 != 0 { reader.skip(2) }  // OCR_ES_ID
        guard reader.enter(tag: 0x04), let objectType = reader.byte() else { return nil }
        reader.skip(12)  // streamType, bufferSizeDB, maxBitrate, avgBitrate
        guard reader.enter(tag: 0x05), let first = reader.byte() else { return nil }
        let audioObjectType = first >> 3
        return String(format: "mp4a.%02x.%d", objectType, audioObjectType)
    }

    /// MPEG-4 descriptors (ISO/IEC 14496-1): a tag byte, a length of 1-4 bytes of 7 bits each.
    private struct DescriptorReader {
        let bytes: [UInt8]
        var offset = 0

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func skip(_ count: Int) { offset += count }

        /// Steps into the descriptor at the offset when it has `tag`.
        mutating func enter(tag: UInt8) -> Bool {
            guard byte() == tag else { return false }
            for _ in 0..<4 {
                guard let part = byte() else { return false }
                if part & 0x80 == 0 { return true }
            }
            return true
        }
    }
}
