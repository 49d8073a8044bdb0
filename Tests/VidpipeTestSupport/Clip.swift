import Foundation

/// Test clips from the recipes of `scripts/clips`, the one place that holds the sample-clip
/// command lines of the demo, the benchmarks and the tests (tiny: 320x240, ultrafast).
public enum Clip {
    /// A video encoder for ``silent(_:codec:)``: the `silent-*` recipe of the same name.
    public enum VideoCodec: String, Sendable {
        /// H.264 in MP4.
        case h264
        /// MPEG-4 Part 2 in MP4.
        case mpeg4
        /// VP8 in WebM.
        case vp8
    }

    /// H.264 + AAC in MP4 that passes the default policy (`good`, or `good-moov-end` when
    /// `faststart` is false).
    public static func good(_ path: String, seconds: Int = 1, faststart: Bool = true) throws {
        try make(faststart ? "good" : "good-moov-end", path, seconds: seconds)
    }

    /// Video only, 1 s (`silent-h264`, `silent-mpeg4`, `silent-vp8`): for policy cases.
    public static func silent(_ path: String, codec: VideoCodec = .h264) throws {
        try make("silent-\(codec.rawValue)", path)
    }

    /// The first 60 % of a 2 s good clip: with the moov at the end it is gone, at the front
    /// the samples are (`truncated`, `truncated-moov-end`).
    public static func truncated(_ path: String, moovAtFront: Bool) throws {
        try make(moovAtFront ? "truncated" : "truncated-moov-end", path)
    }

    /// `ftyp` + a `moov` holding only an `mvhd`: a valid movie with zero streams (`zero-streams`).
    public static func zeroStreams(_ path: String) throws {
        try make("zero-streams", path)
    }

    /// Runs `scripts/clips RECIPE PATH [SECONDS [SIZE]]` (SIZE is `WxH`); `scripts/clips --list`
    /// names the recipes and their defaults.
    public static func make(_ recipe: String, _ path: String, seconds: Int? = nil, size: String? = nil) throws {
        precondition(size == nil || seconds != nil, "scripts/clips takes SIZE only after SECONDS")
        let arguments = [recipe, path] + (seconds.map { [String($0)] } ?? []) + (size.map { [$0] } ?? [])
        try CommandLineTool.checked(script, arguments)
    }

    /// Bytes from a seeded generator, so a failure reproduces; the first byte rules out a
    /// small box size. Not a recipe: nothing but the tests needs noise.
    public static func noise(_ path: String, count: Int) throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: count)
        for index in bytes.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[index] = UInt8(truncatingIfNeeded: state >> 56)
        }
        bytes[0] = 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// `scripts/clips` of this checkout.
    static let script = PackageDirectory.path("scripts/clips")
}
