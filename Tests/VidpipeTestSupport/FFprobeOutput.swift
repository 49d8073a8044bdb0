import Foundation

/// The oracle for media facts: the parts of `ffprobe -show_format -show_streams` (JSON) the
/// tests compare against. Numbers ffprobe prints as strings stay strings here and are
/// converted at comparison time.
public struct FFprobeOutput: Decodable, Sendable {
    /// The container.
    public struct Format: Decodable, Sendable {
        public var nbStreams: Int
        public var formatName: String
        public var formatLongName: String?
        public var startTime: String?
        public var duration: String?
        public var size: String?
        public var bitRate: String?
        public var tags: [String: String]?
    }

    /// One entry of a stream's side data (a display matrix carries `rotation`).
    public struct SideData: Decodable, Sendable {
        public var sideDataType: String?
        public var rotation: Double?
    }

    /// One stream.
    public struct Stream: Decodable, Sendable {
        public var index: Int
        public var codecName: String?
        public var codecLongName: String?
        public var codecType: String?
        public var profile: String?
        public var width: Int?
        public var height: Int?
        public var sampleAspectRatio: String?
        public var displayAspectRatio: String?
        public var pixFmt: String?
        public var level: Int?
        public var colorRange: String?
        public var colorSpace: String?
        public var colorTransfer: String?
        public var colorPrimaries: String?
        public var fieldOrder: String?
        public var sampleFmt: String?
        public var sampleRate: String?
        public var channels: Int?
        public var channelLayout: String?
        public var rFrameRate: String?
        public var avgFrameRate: String?
        public var timeBase: String?
        public var startTime: String?
        public var duration: String?
        public var bitRate: String?
        public var bitsPerRawSample: String?
        public var nbFrames: String?
        public var sideDataList: [SideData]?
        public var tags: [String: String]?
    }

    public var format: Format
    /// Nil when ffprobe printed no streams section.
    public var streams: [Stream]?
}

extension CommandLineTool {
    /// Runs `ffprobe -show_format -show_streams` on `path` and decodes its JSON.
    public static func ffprobe(_ path: String, in directory: URL = FileManager.default.temporaryDirectory) throws -> FFprobeOutput {
        let result = try checked("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", path], in: directory)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(FFprobeOutput.self, from: result.stdout)
    }

    /// Frames the ffmpeg libraries decode from the first video stream of `path` (a file or
    /// a playlist), as `ffprobe -count_frames` reports them.
    public static func videoFrameCount(_ path: String, stream: String = "v:0") throws -> Int {
        let output = try checked("ffprobe", ["-v", "error", "-select_streams", stream, "-count_frames", "-show_entries",
                                             "stream=nb_read_frames", "-of", "csv=p=0", path])
        // A playlist prints its program's stream and the stream itself: the same count twice.
        return output.text.split(separator: "\n").first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? -1
    }
}
