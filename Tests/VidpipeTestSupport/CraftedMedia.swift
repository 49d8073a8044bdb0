import Foundation

/// Defective media that no ffmpeg command line writes, made by editing or writing bytes.
/// (`scripts/clips` holds every file ffmpeg can make.)
public enum CraftedMedia {
    /// A raw H.264 stream (Annex B, as cameras and encoders write `.h264` files) whose
    /// sequence parameter set declares `width`x`height` (multiples of 16): a baseline stream
    /// from x264 with its SPS picture size rewritten. The slices still hold 320x240 pictures.
    /// (ffmpeg refuses to mux such a stream into MP4, so it stays raw.)
    public static func h264Declaring(width: Int, height: Int, path: String) throws {
        precondition(width % 16 == 0 && height % 16 == 0, "the SPS counts macroblocks of 16 pixels")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1", "-c:v", "libx264", "-preset", "ultrafast",
                                    "-profile:v", "baseline", "-f", "h264", path], in: URL(fileURLWithPath: folder))
        let stream = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try Data(AnnexB.rewritingSPS(stream) { try SequenceParameterSet.resized($0, width: width, height: height) })
            .write(to: URL(fileURLWithPath: path))
    }

    /// A Matroska file whose only content is one attached text file: EBML header, then a
    /// segment holding `Info` and `Attachments` and no track at all.
    public static func attachmentOnlyMatroska(path: String) throws {
        let note = Array("notes for the editor, not a video\n".utf8)
        let info = EBML.element(0x1549_A966, EBML.element(0x2A_D7B1, EBML.uint(1_000_000))  // TimestampScale
            + EBML.element(0x4D80, Array("vidpipe tests".utf8)) + EBML.element(0x5741, Array("vidpipe tests".utf8)))
        let attached = EBML.element(0x61A7, EBML.element(0x466E, Array("notes.txt".utf8))  // AttachedFile: FileName
            + EBML.element(0x4660, Array("text/plain".utf8)) + EBML.element(0x465C, note) + EBML.element(0x46AE, EBML.uint(7)))
        let header = EBML.element(0x1A45_DFA3, EBML.element(0x4286, EBML.uint(1)) + EBML.element(0x42F7, EBML.uint(1))
            + EBML.element(0x42F2, EBML.uint(4)) + EBML.element(0x42F3, EBML.uint(8))
            + EBML.element(0x4282, Array("matroska".utf8)) + EBML.element(0x4287, EBML.uint(4)) + EBML.element(0x4285, EBML.uint(2)))
        let segment = EBML.element(0x1853_8067, info + EBML.element(0x1941_A469, attached))
        try Data(header + segment).write(to: URL(fileURLWithPath: path))
    }
}

/// Matroska's element coding: the ID's own bytes, an 8-byte size, the payload.
enum EBML {
    static func element(_ id: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let idBytes = withUnsafeBytes(of: id.bigEndian, Array.init).drop { $0 == 0 }
        let size = withUnsafeBytes(of: UInt64(payload.count).bigEndian, Array.init)
        return Array(idBytes) + [0x01] + size.suffix(7) + payload
    }

    static func uint(_ value: UInt64) -> [UInt8] {
        Array(withUnsafeBytes(of: value.bigEndian, Array.init).drop { $0 == 0 }.ifEmpty([0]))
    }
}

private extension ArraySlice where Element == UInt8 {
    func ifEmpty(_ replacement: [UInt8]) -> [UInt8] { isEmpty ? replacement : Array(self) }
}

/// An H.264 byte stream: NAL units after 00 00 01 start codes, each with emulation
/// prevention bytes (00 00 03) that must be removed before its bits are read.
enum AnnexB {
    /// The stream with every SPS NAL unit's payload (without emulation prevention) replaced.
    static func rewritingSPS(_ stream: [UInt8], _ rewrite: ([UInt8]) throws -> [UInt8]) rethrows -> [UInt8] {
        var output: [UInt8] = []
        var starts: [Int] = []
        var index = 0
        while index + 3 <= stream.count {
            if stream[index] == 0, stream[index + 1] == 0, stream[index + 2] == 1 { starts.append(index + 3); index += 3 } else { index += 1 }
        }
        for (number, start) in starts.enumerated() {
            var end = number + 1 < starts.count ? starts[number + 1] - 3 : stream.count
            while end > start, stream[end - 1] == 0 { end -= 1 }  // a 4-byte start code's leading zero
            var unit = Array(stream[start..<end])
            if unit.first.map({ $0 & 0x1F }) == 7 {
                unit = [unit[0]] + escape(try rewrite(unescape(Array(unit.dropFirst()))))
            }
            output += [0, 0, 0, 1] + unit
        }
        return output
    }

    static func unescape(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var zeros = 0
        for byte in bytes {
            if zeros >= 2, byte == 3 { zeros = 0; continue }
            output.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return output
    }

    static func escape(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var zeros = 0
        for byte in bytes {
            if zeros >= 2, byte <= 3 { output.append(3); zeros = 0 }
            output.append(byte)
            zeros = byte == 0 ? zeros + 1 : 0
        }
        return output
    }
}

/// Just enough of the H.264 sequence parameter set (baseline profile, as x264 writes it) to
/// change the declared picture size.
enum SequenceParameterSet {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static func resized(_ rbsp: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        var reader = BitReader(bytes: rbsp)
        let profile = try reader.bits(8)
        guard [66, 77, 88].contains(profile) else { throw Malformed(description: "profile \(profile) has fields this editor skips") }
        _ = try reader.bits(16)  // constraint flags, level
        _ = try reader.exponentialGolomb()  // seq_parameter_set_id
        _ = try reader.exponentialGolomb()  // log2_max_frame_num_minus4
        let pictureOrderCountType = try reader.exponentialGolomb()
        if pictureOrderCountType == 0 { _ = try reader.exponentialGolomb() }
        guard pictureOrderCountType != 1 else { throw Malformed(description: "picture order count type 1 is not handled") }
        _ = try reader.exponentialGolomb()  // max_num_ref_frames
        _ = try reader.bits(1)  // gaps_in_frame_num_value_allowed_flag
        let sizeStarts = reader.position
        _ = try reader.exponentialGolomb()  // pic_width_in_mbs_minus1
        _ = try reader.exponentialGolomb()  // pic_height_in_map_units_minus1
        let frameMbsOnly = try reader.bits(1)
        guard frameMbsOnly == 1 else { throw Malformed(description: "field-coded streams are not handled") }

        var writer = BitWriter()
        var copy = BitReader(bytes: rbsp)
        for _ in 0..<sizeStarts { writer.append(try copy.bits(1), count: 1) }
        writer.appendExponentialGolomb(width / 16 - 1)
        writer.appendExponentialGolomb(height / 16 - 1)
        copy.position = reader.position - 1
        // The rest, trailing bits included, is copied; the old stop bit ends the payload.
        while copy.position < rbsp.count * 8 { writer.append(try copy.bits(1), count: 1) }
        // The shift can leave a byte of padding zeros after the stop bit: drop it.
        var bytes = writer.bytes
        while bytes.last == 0 { bytes.removeLast() }
        return bytes
    }
}

struct BitReader {
    let bytes: [UInt8]
    var position = 0

    mutating func bits(_ count: Int) throws -> Int {
        var value = 0
        for _ in 0..<count {
            guard position < bytes.count * 8 else { throw SequenceParameterSet.Malformed(description: "ran out of bits") }
            value = value << 1 | Int(bytes[position / 8] >> (7 - UInt8(position % 8)) & 1)
            position += 1
        }
        return value
    }

    mutating func exponentialGolomb() throws -> Int {
        var zeros = 0
        while try bits(1) == 0 { zeros += 1 }
        return (1 << zeros) - 1 + (try bits(zeros))
    }
}

struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private var used = 8

    mutating func append(_ value: Int, count: Int) {
        for shift in stride(from: count - 1, through: 0, by: -1) {
            if used == 8 { bytes.append(0); used = 0 }
            bytes[bytes.count - 1] |= UInt8((value >> shift) & 1) << (7 - UInt8(used))
            used += 1
        }
    }

    mutating func appendExponentialGolomb(_ value: Int) {
        let coded = value + 1
        let length = Int.bitWidth - coded.leadingZeroBitCount
        append(0, count: length - 1)
        append(coded, count: length)
    }
}
