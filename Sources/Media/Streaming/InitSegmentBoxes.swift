/// Fields read straight from the bytes of CMAF segments, so what the stream declares is what
/// was written: an init segment (`ftyp` + `moov`, a few hundred bytes), or the head of a media
/// segment (its `moof` comes before its `mdat`).
enum InitSegmentBoxes {
    /// The bytes after the header of the first box of `type` (found by its four-character
    /// code: init segments are small and these codes appear nowhere else in them).
    static func body(_ type: String, in bytes: [UInt8]) -> ArraySlice<UInt8>? {
        let code = Array(type.utf8)
        guard bytes.count >= 8 else { return nil }
        for start in 4...(bytes.count - 4) where bytes[start..<(start + 4)].elementsEqual(code) {
            let size = bytes[(start - 4)..<start].reduce(0) { $0 << 8 | Int($1) }
            let end = start - 4 + size
            guard size >= 8, end <= bytes.count else { return nil }
            return bytes[(start + 4)..<end]
        }
        return nil
    }

    /// The track's timescale (ticks per second) from its `mdhd` box: the unit of the
    /// fragments' timestamps.
    static func mediaTimescale(_ bytes: [UInt8]) -> Int? {
        guard let body = body("mdhd", in: bytes), let version = body.first else { return nil }
        // version and flags, then creation and modification times of 4 (version 0) or 8 bytes each.
        guard let timescale = integer(body, at: 4 + (version == 1 ? 16 : 8), bytes: 4), timescale > 0 else { return nil }
        return timescale
    }

    /// When a media segment's first sample is shown, in its track's ticks: the decode time of
    /// the fragment (`tfdt`) plus the first sample's composition offset (`trun`), which
    /// B-frames make positive. The segment's earliest presentation time, as it starts with a
    /// keyframe, which nothing before it in decode order follows on screen.
    static func firstPresentationTicks(_ bytes: [UInt8]) -> Int? {
        guard let tfdt = body("tfdt", in: bytes), let tfdtVersion = tfdt.first,
              let trun = body("trun", in: bytes), let trunVersion = trun.first else { return nil }
        let decodeTime = integer(tfdt, at: 4, bytes: tfdtVersion == 1 ? 8 : 4)
        let flags = integer(trun, at: 1, bytes: 3) ?? 0
        // sample_count, then data_offset and first_sample_flags when present, then the first
        // sample's duration, size and flags when present, before its composition offset.
        var offset = 8 + (flags & 0x1 != 0 ? 4 : 0) + (flags & 0x4 != 0 ? 4 : 0)
        for present in [0x100, 0x200, 0x400] where flags & present != 0 { offset += 4 }
        guard let decodeTime else { return nil }
        guard flags & 0x800 != 0, let raw = integer(trun, at: offset, bytes: 4) else { return decodeTime }
        // Version 1 offsets are signed.
        return decodeTime + (trunVersion == 1 ? Int(Int32(truncatingIfNeeded: raw)) : raw)
    }

    /// A big-endian unsigned integer of `bytes` bytes at `offset` into a box body.
    private static func integer(_ body: ArraySlice<UInt8>, at offset: Int, bytes: Int) -> Int? {
        let start = body.startIndex + offset
        guard start >= body.startIndex, start + bytes <= body.endIndex else { return nil }
        return body[start..<(start + bytes)].reduce(0) { $0 << 8 | Int($1) }
    }
}
