import CFFmpeg
import Foundation

/// One place in the source where decoding went wrong.
public struct DecodeIssue: Codable, Sendable, Equatable {
    /// Presentation time of the packet or frame, when known.
    public var seconds: Double?
    /// `video`, `audio` or `container`.
    public var stream: String
    public var message: String
}

/// What one decode pass saw: frame counts, errors, and whether frames are missing.
public struct DecodeReport: Codable, Sendable, Equatable {
    public var videoFramesDecoded: Int64 = 0
    public var audioFramesDecoded: Int64 = 0
    public var audioSamplesDecoded: Int64 = 0
    /// Frames the container declares or its duration implies; nil when unknown.
    public var expectedVideoFrames: Int64?
    /// Every error counted, even beyond the ones kept in `issues`.
    public var errorCount = 0
    /// The first errors, with timecodes (at most ``maximumKeptIssues``).
    public var issues: [DecodeIssue] = []
    /// Time of the last decoded video and audio frame.
    public var lastVideoSeconds: Double?
    public var lastAudioSeconds: Double?

    /// Kept issue count: a badly damaged file must not grow memory with its length.
    public static let maximumKeptIssues = 100

    /// Frames expected but never decoded: the file ends early or lost data.
    public var missingVideoFrames: Int64 {
        guard let expectedVideoFrames else { return 0 }
        return max(0, expectedVideoFrames - videoFramesDecoded)
    }

    /// A file that decodes with errors or misses frames is never reported healthy. One
    /// frame of slack absorbs rounding in durations that only imply a count.
    public var isHealthy: Bool { errorCount == 0 && missingVideoFrames <= 1 }

    mutating func record(_ issue: DecodeIssue) {
        errorCount += 1
        if issues.count < Self.maximumKeptIssues { issues.append(issue) }
    }
}

/// Demuxes a file once and decodes its best video and audio streams, handing every packet
/// and frame to all consumers. Blocking C work: run it on a thread of its own.
///
/// Memory stays flat: each frame is unreferenced as soon as every consumer has seen it.
final class DecodePass {
    private let path: String
    private let input: InputFormatContext
    private let video: StreamDecoder?
    private let audio: StreamDecoder?
    let setup: DecodeSetup

    init(path: String) throws(MediaError) {
        self.path = path
        var declaredSizes: [(Int32, Int32)] = []
        do {
            input = try InputFormatContext(path: path)
            // What the header declares, before find_stream_info: a decoder that refuses the
            // size leaves 0x0 behind, and the file would only show up as undecodable packets.
            declaredSizes = input.streams.map { ($0.pointee.codecpar.pointee.width, $0.pointee.codecpar.pointee.height) }
            try input.findStreamInfo()
        } catch {
            throw MediaError(code: .openFailed, path: path,
                             message: "\(path): cannot open for decoding (\(error.reason)); probe it first to see why.", averror: error.averror)
        }
        let streams = input.streams
        let videoStream = Self.bestStream(input, type: AVMEDIA_TYPE_VIDEO).flatMap { index in
            (streams[index].pointee.disposition & AV_DISPOSITION_ATTACHED_PIC) == 0 ? index : nil
        }
        let audioStream = Self.bestStream(input, type: AVMEDIA_TYPE_AUDIO)
        guard videoStream != nil || audioStream != nil else {
            let found = streams.map { Self.streamSummary($0) }.joined(separator: ", ")
            throw MediaError(code: .noAudioOrVideo, path: path,
                             message: "\(path): holds no audio or video stream, only \(found.isEmpty ? "nothing" : found): there is nothing to decode. Send the video this file belongs to.")
        }
        if let index = videoStream {
            let parameters = streams[index].pointee.codecpar.pointee
            let declared = index < declaredSizes.count ? [declaredSizes[index]] : []
            for (width, height) in declared + [(parameters.width, parameters.height)] where width != 0 || height != 0 {
                // Refused up front: a decoder would fail to open, or try to allocate gigabytes.
                guard av_image_check_size2(UInt32(bitPattern: width), UInt32(bitPattern: height), Int64.max, AV_PIX_FMT_NONE, 0, nil) < 0 else { continue }
                throw MediaError(code: .invalidDimensions, path: path,
                                 message: "\(path): video stream #\(index) declares \(width)x\(height) pixels, which no decoder accepts; the header is corrupt or crafted.")
            }
        }
        video = try videoStream.map { index throws(MediaError) in try StreamDecoder(stream: streams[index], index: index, path: path) }
        audio = try audioStream.map { index throws(MediaError) in try StreamDecoder(stream: streams[index], index: index, path: path) }

        var setup = DecodeSetup(path: path)
        let duration = input.pointer.pointee.duration
        if duration > 0 { setup.durationSeconds = Double(duration) / Double(AV_TIME_BASE) }
        if let video {
            let stream = video.stream.pointee
            let codec = video.context.pointee
            var rate = stream.avg_frame_rate.num > 0 ? stream.avg_frame_rate : stream.r_frame_rate
            if rate.den == 0 { rate = AVRational(num: 0, den: 1) }
            var expected: Int64? = stream.nb_frames > 0 ? stream.nb_frames : nil
            if expected == nil, rate.num > 0, let seconds = Self.seconds(stream.duration, stream.time_base) ?? setup.durationSeconds {
                expected = Int64((seconds * Double(rate.num) / Double(rate.den)).rounded())
            }
            setup.video = DecodeSetup.Video(
                streamIndex: video.index, width: Int(codec.width), height: Int(codec.height), pixelFormat: codec.pix_fmt,
                timeBase: stream.time_base, frameRate: rate, sampleAspectRatio: codec.sample_aspect_ratio,
                rotationDegrees: Self.rotation(of: video.stream), expectedFrames: expected)
        }
        if let audio {
            let codec = audio.context.pointee
            setup.audio = DecodeSetup.Audio(
                streamIndex: audio.index, sampleRate: Int(codec.sample_rate), channels: Int(codec.ch_layout.nb_channels),
                sampleFormat: codec.sample_fmt, timeBase: audio.stream.pointee.time_base)
        }
        self.setup = setup
    }

    /// Runs the pass to the end of the file. Consumer errors stop the pass and are rethrown,
    /// naming this file when they come from a part that does not know it (a scaler, an
    /// encoder); decode errors are counted and the pass goes on, like a player would.
    func run(consumers: [any FrameConsumer]) throws -> DecodeReport {
        do {
            return try feed(consumers)
        } catch let error as MediaError {
            throw error.about(path)
        }
    }

    private func feed(_ consumers: [any FrameConsumer]) throws -> DecodeReport {
        var report = DecodeReport()
        report.expectedVideoFrames = setup.video?.expectedFrames
        for consumer in consumers { try consumer.start(setup) }

        guard let packet = av_packet_alloc() else { throw MediaError(code: .openFailed, path: path, message: "\(path): out of memory") }
        var packetHolder: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&packetHolder) }
        guard let frame = av_frame_alloc() else { throw MediaError(code: .openFailed, path: path, message: "\(path): out of memory") }
        var frameHolder: UnsafeMutablePointer<AVFrame>? = frame
        defer { av_frame_free(&frameHolder) }

        while true {
            let status = av_read_frame(input.pointer, packet)
            if status == vp_AVERROR_EOF() { break }
            if status < 0 {
                report.record(DecodeIssue(seconds: report.lastVideoSeconds ?? report.lastAudioSeconds, stream: "container",
                                          message: "reading stopped: \(AVErrorText.describe(status))"))
                break
            }
            defer { av_packet_unref(packet) }
            let index = Int(packet.pointee.stream_index)
            // Per packet: no array built to find the decoder.
            let decoder: StreamDecoder
            if let video, video.index == index { decoder = video } else if let audio, audio.index == index { decoder = audio } else { continue }
            let isVideo = decoder === video
            let packetSeconds = Self.seconds(packet.pointee.pts, decoder.stream.pointee.time_base)
            for consumer in consumers { try consumer.consumePacket(packet, isVideo: isVideo, seconds: packetSeconds) }
            try decode(packet, with: decoder, isVideo: isVideo, into: frame, consumers: consumers, report: &report, packetSeconds: packetSeconds)
        }
        // Drain the decoders' delayed frames.
        for (decoder, isVideo) in [(video, true), (audio, false)] {
            guard let decoder else { continue }
            try decode(nil, with: decoder, isVideo: isVideo, into: frame, consumers: consumers, report: &report, packetSeconds: nil)
        }
        for consumer in consumers { try consumer.finish() }
        return report
    }

    private func decode(_ packet: UnsafeMutablePointer<AVPacket>?, with decoder: StreamDecoder, isVideo: Bool,
                        into frame: UnsafeMutablePointer<AVFrame>, consumers: [any FrameConsumer],
                        report: inout DecodeReport, packetSeconds: Double?) throws {
        let kind = isVideo ? "video" : "audio"
        let sent = avcodec_send_packet(decoder.context, packet)
        if sent < 0 && sent != vp_AVERROR_EOF() {
            report.record(DecodeIssue(seconds: packetSeconds, stream: kind, message: "corrupt packet: \(AVErrorText.describe(sent))"))
            return
        }
        while true {
            let received = avcodec_receive_frame(decoder.context, frame)
            if received == vp_AVERROR(EAGAIN) || received == vp_AVERROR_EOF() { return }
            if received < 0 {
                report.record(DecodeIssue(seconds: packetSeconds, stream: kind, message: "decode failed: \(AVErrorText.describe(received))"))
                return
            }
            defer { av_frame_unref(frame) }
            let timestamp = frame.pointee.best_effort_timestamp
            let start = decoder.stream.pointee.start_time
            let offset = start == vp_AV_NOPTS_VALUE() ? 0 : start
            let seconds = Self.seconds(timestamp == vp_AV_NOPTS_VALUE() ? timestamp : timestamp - offset, decoder.stream.pointee.time_base)
                ?? packetSeconds ?? 0
            if (frame.pointee.flags & AV_FRAME_FLAG_CORRUPT) != 0 || frame.pointee.decode_error_flags != 0 {
                report.record(DecodeIssue(seconds: seconds, stream: kind, message: "frame decoded with errors (concealed)"))
            }
            if isVideo {
                report.videoFramesDecoded += 1
                report.lastVideoSeconds = seconds
                for consumer in consumers { try consumer.consumeVideo(frame, seconds: seconds) }
            } else {
                report.audioFramesDecoded += 1
                report.audioSamplesDecoded += Int64(frame.pointee.nb_samples)
                report.lastAudioSeconds = seconds
                for consumer in consumers { try consumer.consumeAudio(frame, seconds: seconds) }
            }
        }
    }

    /// "stream #0 subtitle (subrip)", for messages about what a file holds.
    private static func streamSummary(_ stream: UnsafeMutablePointer<AVStream>) -> String {
        let parameters = stream.pointee.codecpar.pointee
        let kind = swiftString(av_get_media_type_string(parameters.codec_type)) ?? "unknown"
        let codec = swiftString(avcodec_get_name(parameters.codec_id)) ?? "unknown"
        return "stream #\(stream.pointee.index) \(kind) (\(codec))"
    }

    private static func bestStream(_ input: InputFormatContext, type: AVMediaType) -> Int? {
        let index = av_find_best_stream(input.pointer, type, -1, -1, nil, 0)
        return index >= 0 ? Int(index) : nil
    }

    static func seconds(_ timestamp: Int64, _ timeBase: AVRational) -> Double? {
        guard timestamp != vp_AV_NOPTS_VALUE(), timeBase.den != 0 else { return nil }
        return Double(timestamp) * Double(timeBase.num) / Double(timeBase.den)
    }

    private static func rotation(of stream: UnsafeMutablePointer<AVStream>) -> Double {
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nil) else { return 0 }
        let degrees = data.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_get($0) }
        return degrees.isNaN ? 0 : degrees
    }
}

/// An opened decoder for one stream; frees its codec context in `deinit`.
final class StreamDecoder {
    let stream: UnsafeMutablePointer<AVStream>
    let index: Int
    let context: UnsafeMutablePointer<AVCodecContext>

    init(stream: UnsafeMutablePointer<AVStream>, index: Int, path: String) throws(MediaError) {
        self.stream = stream
        self.index = index
        let parameters = stream.pointee.codecpar!
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            let name = swiftString(avcodec_get_name(parameters.pointee.codec_id)) ?? "unknown"
            throw MediaError(code: .unsupportedCodec, path: path,
                             message: "\(path): stream #\(index) uses codec \(name), which this FFmpeg build cannot decode.")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(code: .openFailed, path: path, message: "\(path): out of memory")
        }
        self.context = context
        avcodec_parameters_to_context(context, parameters)
        context.pointee.pkt_timebase = stream.pointee.time_base
        // Auto threads: frame threading is what makes a software decode keep up.
        context.pointee.thread_count = 0
        let status = avcodec_open2(context, codec, nil)
        guard status >= 0 else {
            throw MediaError(code: .openFailed, path: path,
                             message: "\(path): cannot open the decoder for stream #\(index): \(AVErrorText.describe(status))", averror: status)
        }
    }

    deinit {
        var holder: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&holder)
    }
}
