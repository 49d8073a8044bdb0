import Foundation
import Testing
import VidpipeTestSupport

/// Media files at the edge of what a video pipeline meets, each named after its defect, with
/// what a user should see: rejected with one code and a message naming the problem, or
/// accepted and recorded (README "Bad input").
enum EdgeCaseFile: String, CaseIterable, CustomTestStringConvertible {
    // Rejected.
    case corruptMiddle, declares60000x60000, farTimestamps, onePixel, subtitlesOnlyMatroska, attachmentOnlyMatroska,
         dataOnlyTransportStream, nonUTF8Name, pathOver4096Bytes
    // Accepted.
    case timestampsJumpBack, singleFrame, fps240, twentyAudioStreams, hevc10Bit, yuv444, nameWithSpaces, nameWithQuotes,
         nameWithNewline

    var testDescription: String { rawValue }

    /// What `vidpipe process` must say about the file.
    enum Expectation: Equatable {
        /// Rejected with `code`, a message containing `message`; `recordsVideo` when the
        /// file is media a policy refused (its video is recorded with the verdict).
        case rejected(code: String, message: String, recordsVideo: Bool)
        /// Accepted and recorded; `finding` is a QC or policy finding the job must carry.
        case accepted(finding: String?)
    }

    var expectation: Expectation {
        switch self {
        case .corruptMiddle: .rejected(code: "policy_rejected", message: "decode error(s); first at", recordsVideo: true)
        case .declares60000x60000: .rejected(code: "policy_rejected", message: "no video frame decoded", recordsVideo: true)
        case .farTimestamps: .rejected(code: "policy_rejected", message: "timestamps start at 4000000000 s", recordsVideo: true)
        case .onePixel: .rejected(code: "policy_rejected", message: "1x1 is below the minimum 64x64", recordsVideo: true)
        case .subtitlesOnlyMatroska: .rejected(code: "no_audio_or_video", message: "only stream #0 subtitle (subrip)", recordsVideo: false)
        // libavformat's Matroska reader finds no track and runs to the end of the file.
        case .attachmentOnlyMatroska: .rejected(code: "invalid_container", message: "header could not be read: End of file", recordsVideo: false)
        case .dataOnlyTransportStream: .rejected(code: "no_audio_or_video", message: "only stream #0 data (bin_data)", recordsVideo: false)
        case .nonUTF8Name: .rejected(code: "invalid_file_name", message: "not UTF-8", recordsVideo: false)
        case .pathOver4096Bytes: .rejected(code: "path_too_long", message: "the system limit is 4096 bytes", recordsVideo: false)
        case .timestampsJumpBack: .accepted(finding: "qc.timestamps_backwards")
        case .singleFrame, .fps240, .hevc10Bit, .yuv444: .accepted(finding: "policy.audio_missing")
        case .twentyAudioStreams, .nameWithSpaces, .nameWithQuotes, .nameWithNewline: .accepted(finding: nil)
        }
    }

    /// The file name (the long path and the non-UTF-8 name are made specially).
    var fileName: String {
        switch self {
        case .nameWithSpaces: "interview take 2.mp4"
        case .nameWithQuotes: #"the "final" cut's.mp4"#
        case .nameWithNewline: "two\nlines.mp4"
        case .subtitlesOnlyMatroska, .attachmentOnlyMatroska, .farTimestamps: rawValue + ".mkv"
        case .dataOnlyTransportStream, .timestampsJumpBack: rawValue + ".ts"
        case .declares60000x60000: rawValue + ".h264"
        default: rawValue + ".mp4"
        }
    }

    /// Creates the file in `folder`; returns the path to hand to vidpipe.
    func make(in folder: String) throws -> String {
        let path = folder + "/" + fileName
        switch self {
        case .corruptMiddle: try Clip.make("corrupt-middle", path)
        case .declares60000x60000: try CraftedMedia.h264Declaring(width: 60000, height: 60000, path: path)
        case .farTimestamps: try Clip.make("far-timestamps", path)
        case .onePixel: try Clip.make("one-pixel", path)
        case .subtitlesOnlyMatroska: try Clip.make("subtitles-only", path)
        case .attachmentOnlyMatroska: try CraftedMedia.attachmentOnlyMatroska(path: path)
        case .dataOnlyTransportStream: try Clip.make("data-only-ts", path)
        case .timestampsJumpBack: try Clip.make("ts-restart", path)
        case .singleFrame: try Clip.make("single-frame", path)
        case .fps240: try Clip.make("fps240", path)
        case .twentyAudioStreams: try Clip.make("twenty-audio", path)
        case .hevc10Bit: try Clip.make("hevc-10bit", path)
        case .yuv444: try Clip.make("yuv444", path)
        case .nameWithSpaces, .nameWithQuotes, .nameWithNewline:
            // Each a different length, so no two are duplicates of each other.
            try Clip.make("good", path, seconds: 1, size: ["320x240", "320x180", "256x144"][[.nameWithSpaces, .nameWithQuotes, .nameWithNewline].firstIndex(of: self)!])
        case .nonUTF8Name: return try Self.makeNonUTF8Name(in: folder)
        case .pathOver4096Bytes: return try Self.makeDeepPath(in: folder)
        }
        return path
    }

    /// A good clip named `clip-\xff\xfe.mp4`: bytes no UTF-8 decoder accepts. Made by the shell,
    /// since a Swift String cannot hold such a name. Returns the path as vidpipe receives it
    /// on its command line, which the tests pass as raw bytes through `env`'s argument.
    private static func makeNonUTF8Name(in folder: String) throws -> String {
        try Clip.good(folder + "/plain.mp4")
        try CommandLineTool.checked("bash", ["-c", #"mv "$1/plain.mp4" "$1/$(printf 'clip-\xff\xfe.mp4')""#, "bash", folder])
        return folder + "/clip-\u{FFFD}\u{FFFD}.mp4"
    }

    /// A good clip 17 folders of 250 characters deep: its path is over 4,300 bytes, past
    /// PATH_MAX, so only relative steps (`cd` one folder at a time) reach it.
    private static func makeDeepPath(in folder: String) throws -> String {
        let name = String(repeating: "d", count: 250)
        try Clip.good(folder + "/deep-source.mp4")
        try CommandLineTool.checked("bash", ["-c", """
            set -e; cd "$1"; for i in $(seq 17); do mkdir "$2"; cd "$2"; done; mv "$1/deep-source.mp4" deep.mp4
            """, "bash", folder, name])
        return folder + String(repeating: "/" + name, count: 17) + "/deep.mp4"
    }
}
