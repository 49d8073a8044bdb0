/// Sniffs a file that libavformat refused, to tell the caller *why* in terms they can act on.
enum OpenFailureDiagnosis {
    /// The top-level box sequence of an ISO-BMFF (MP4/MOV) file.
    struct TopLevelBoxes {
        var types: [String]
        /// Bytes the last box claims beyond the end of the file (0 when the walk ended cleanly).
        var bytesPastEnd: Int64
        var hasMovieBox: Bool { types.contains("moov") }
    }

    /// Box types that can open an MP4/MOV file. Requiring one of them first is what keeps
    /// random bytes (which libavformat may still hand to the mov demuxer because of a `.mp4`
    /// name) from being called a truncated MP4.
    private static let leadingBoxTypes: Set<String> = [
        "ftyp", "styp", "moov", "mdat", "free", "skip", "wide", "pdin", "uuid", "moof", "sidx", "pnot", "meta",
    ]

    /// Walks top-level boxes by their size fields (32-bit size, 64-bit `largesize` when size
    /// is 1, size 0 meaning "to the end of the file"). Returns nil when the file does not look
    /// like ISO-BMFF at all.
    static func topLevelBoxes(of file: ReadOnlyFile) -> TopLevelBoxes? {
        var types: [String] = []
        var offset: Int64 = 0
        // A real file has a handful of top-level boxes; the cap bounds work on odd input.
        while offset + 8 <= file.size, types.count < 4096 {
            let header = file.read(at: offset, count: 16)
            guard header.count >= 8 else { return nil }
            let size32 = bigEndian(header[0..<4])
            let typeBytes = header[4..<8]
            // Top-level box types are four printable ASCII characters.
            guard typeBytes.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
            let type = String(decoding: typeBytes, as: UTF8.self)
            if types.isEmpty && !leadingBoxTypes.contains(type) { return nil }

            let boxSize: Int64
            switch size32 {
            case 0:
                boxSize = file.size - offset
            case 1:
                guard header.count == 16 else { return nil }
                let large = bigEndian(header[8..<16])
                guard large >= 16, large <= UInt64(Int64.max) else { return nil }
                boxSize = Int64(large)
            default:
                guard size32 >= 8 else { return nil }
                boxSize = Int64(size32)
            }
            types.append(type)
            let end = offset.addingReportingOverflow(boxSize)
            guard !end.overflow else { return nil }
            if end.partialValue > file.size {
                return TopLevelBoxes(types: types, bytesPastEnd: end.partialValue - file.size)
            }
            offset = end.partialValue
        }
        guard !types.isEmpty else { return nil }
        return TopLevelBoxes(types: types, bytesPastEnd: 0)
    }

    /// A short quote of the file's start when it looks like UTF-8/ASCII text: no NUL byte and
    /// valid UTF-8 in the first 4 KiB (a multi-byte character cut at the end is allowed).
    static func textPreview(of file: ReadOnlyFile) -> String? {
        var head = file.read(at: 0, count: 4096)
        guard !head.isEmpty, !head.contains(0) else { return nil }
        // Binary formats without NULs are rare, but C0 controls other than whitespace say binary.
        let allowedControls: Set<UInt8> = [0x09, 0x0A, 0x0C, 0x0D, 0x1B]
        guard !head.contains(where: { $0 < 0x20 && !allowedControls.contains($0) }) else { return nil }
        for _ in 0..<4 {
            if let text = String(validating: head, as: UTF8.self) {
                let firstLine = text.prefix(while: { $0 != "\n" && $0 != "\r" }).prefix(60)
                return String(firstLine)
            }
            // Only a buffer that stopped short of the file's end may end mid-character.
            guard Int64(head.count) < file.size else { return nil }
            head.removeLast()
        }
        return nil
    }

    private static func bigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { ($0 << 8) | UInt64($1) }
    }
}
