import CFFmpeg
import Foundation

/// The encoding half of one rung: filter, encode, resample and mux on a thread of its own,
/// fed by a ``FrameQueue``.
///
/// `@unchecked Sendable`: it is created on the decode thread, then touched only by its
/// encoder thread until the decode thread has joined that thread; the decode thread reads
/// `problems`, `psnr` and `ssim` only after joining.
final class RenditionWorker: @unchecked Sendable {
    struct Source {
        var videoTimeBase: AVRational?
        var videoFrameRate: AVRational
        var hasAudio: Bool
        /// Container duration; audio past it is decoder padding and is cut.
        var durationSeconds: Double?
    }

    let plan: RenditionPlan
    let path: String
    /// Folder of the adaptive stream's files; nil when the plan writes no stream.
    let streamDirectory: String?
    let queue: FrameQueue
    private let source: Source

    private(set) var problems: [String] = []
    private(set) var psnr: Double?
    private(set) var ssim: Double?
    /// Video packets written, for the stream's measured frame rate.
    private(set) var videoPackets = 0

    private var writer: MP4Writer?
    private var video: CodecContext?
    private var audio: CodecContext?
    private var videoStream: Int32 = 0
    private var audioStream: Int32 = 0
    private var graph: VideoScaleGraph?
    private var resampler: AudioResampler?
    private var quality: EncoderQualityReport?
    private var packet: PacketBuffer?
    private var lastVideoPts: Int64?
    private var lastFrameSlot: Int64?
    private var nextAudioPts: Int64?
    private var videoTrack: HLSTrackWriter?
    private var audioTrack: HLSTrackWriter?
    /// The second reference each packet needs, since each muxer takes the one it is given.
    private var trackPacket: PacketBuffer?
    private var segmentClock: SegmentBoundaryClock?

    init(plan: RenditionPlan, path: String, streamDirectory: String?, source: Source, queue: FrameQueue) {
        self.plan = plan
        self.path = path
        self.streamDirectory = streamDirectory
        self.source = source
        self.queue = queue
    }

    /// The thread body: runs until the end item, a failure, or cancellation.
    func run() {
        // x264 writes its closing report into `quality`: free the encoder while it exists.
        defer { video = nil }
        do {
            try open()
            while let item = queue.pop() {
                switch item {
                case let .video(frame, seconds): try encodeVideo(frame, seconds: seconds)
                case let .audio(frame, seconds): try encodeAudio(frame, seconds: seconds)
                case .end:
                    try flush()
                    // x264 reports its measurements when it closes.
                    video = nil
                    if let quality { (psnr, ssim) = quality.measurement }
                    return
                }
            }
            fail("cancelled before the end of the source")
        } catch {
            fail(error.message)
        }
    }

    /// Records the failure, stops the feed and removes the partial files (this rung's
    /// stream tracks too, so the master playlist leaves the rung out).
    private func fail(_ message: String) {
        problems.append(message)
        queue.abandon()
        writer = nil
        videoTrack = nil
        audioTrack = nil
        try? FileManager.default.removeItem(atPath: path)
        if let streamDirectory {
            let prefixes = [plan.name] + (plan.writesAudioTrack ? [plan.audioTrackName] : [])
            let files = (try? FileManager.default.contentsOfDirectory(atPath: streamDirectory)) ?? []
            for file in files where prefixes.contains(where: { file.hasPrefix($0 + ".") || file.hasPrefix($0 + "_") }) {
                try? FileManager.default.removeItem(atPath: streamDirectory + "/" + file)
            }
        }
    }

    // MARK: - Setup

    private var outputFrameRate: AVRational {
        if plan.dropsFrames { return AVRational(num: Int32(plan.maxFrameRate), den: 1) }
        // Rate control needs some rate; 30 is the usual guess for sources that declare none.
        return source.videoFrameRate.num > 0 ? source.videoFrameRate : AVRational(num: 30, den: 1)
    }

    private func open() throws(RenditionFailure) {
        let writer = try MP4Writer(path: path)
        self.writer = writer
        packet = try PacketBuffer()
        let segmentSeconds = streamDirectory == nil ? nil : plan.segmentSeconds
        if let timeBase = source.videoTimeBase {
            let encoder = try openVideoEncoder(timeBase: timeBase, globalHeader: writer.wantsGlobalHeader)
            videoStream = try writer.addStream(for: encoder.pointer)
            video = encoder
            if let streamDirectory, let segmentSeconds {
                let track = try HLSTrackWriter(directory: streamDirectory, name: plan.name, segmentSeconds: segmentSeconds)
                try track.addStream(for: encoder.pointer)
                videoTrack = track
                segmentClock = SegmentBoundaryClock(segmentSeconds: segmentSeconds, timeBase: timeBase)
            }
        }
        if source.hasAudio {
            let encoder = try openAudioEncoder(globalHeader: writer.wantsGlobalHeader)
            audioStream = try writer.addStream(for: encoder.pointer)
            resampler = try AudioResampler(encoder: encoder.pointer)
            audio = encoder
            // Only with video: an audio-only source gets no stream.
            if let streamDirectory, let segmentSeconds, videoTrack != nil, plan.writesAudioTrack {
                let track = try HLSTrackWriter(directory: streamDirectory, name: plan.audioTrackName, segmentSeconds: segmentSeconds)
                try track.addStream(for: encoder.pointer)
                audioTrack = track
            }
        }
        try writer.writeHeader()
        if videoTrack != nil { trackPacket = try PacketBuffer() }
        try videoTrack?.writeHeader()
        try audioTrack?.writeHeader()
    }

    private func openVideoEncoder(timeBase: AVRational, globalHeader: Bool) throws(RenditionFailure) -> CodecContext {
        guard let codec = avcodec_find_encoder_by_name("libx264") else {
            throw RenditionFailure(message: "this FFmpeg build has no libx264 encoder")
        }
        let encoder = try CodecContext(codec: codec)
        let context = encoder.pointer
        context.pointee.width = Int32(plan.width)
        context.pointee.height = Int32(plan.height)
        context.pointee.pix_fmt = AV_PIX_FMT_YUV420P
        context.pointee.sample_aspect_ratio = AVRational(num: 1, den: 1)
        // Source timestamps pass straight through, so variable frame rates survive.
        context.pointee.time_base = timeBase
        let rate = outputFrameRate
        context.pointee.framerate = rate
        context.pointee.gop_size = Int32(max(1, (plan.keyframeIntervalSeconds * av_q2d(rate)).rounded()))
        context.pointee.thread_count = Int32(plan.encoderThreads)
        if let bitRate = plan.videoBitRate {
            context.pointee.bit_rate = Int64(bitRate)
        } else {
            av_opt_set_double(context.pointee.priv_data, "crf", plan.crf, 0)
        }
        if let maxRate = plan.maxRate { context.pointee.rc_max_rate = Int64(maxRate) }
        if let bufferSize = plan.bufferSize { context.pointee.rc_buffer_size = Int32(bufferSize) }
        try RenditionFailure.check(av_opt_set(context.pointee.priv_data, "preset", plan.preset, 0), "unknown x264 preset \(plan.preset)")
        // A frame marked I at a segment boundary must become an IDR, where a player can join.
        try RenditionFailure.check(av_opt_set(context.pointee.priv_data, "forced-idr", "1", 0), "libx264 has no forced-idr option")
        if globalHeader { context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        if plan.measuresQuality {
            let report = EncoderQualityReport()
            report.attach(to: context)
            quality = report
        }
        try encoder.open(codec, name: "libx264 (preset \(plan.preset))")
        return encoder
    }

    private func openAudioEncoder(globalHeader: Bool) throws(RenditionFailure) -> CodecContext {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_AAC) else {
            throw RenditionFailure(message: "this FFmpeg build has no AAC encoder")
        }
        let encoder = try CodecContext(codec: codec)
        let context = encoder.pointer
        context.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        context.pointee.sample_rate = Int32(plan.audioSampleRate)
        av_channel_layout_default(&context.pointee.ch_layout, Int32(plan.audioChannels))
        context.pointee.bit_rate = Int64(plan.audioBitRate)
        context.pointee.time_base = AVRational(num: 1, den: Int32(plan.audioSampleRate))
        if globalHeader { context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        try encoder.open(codec, name: "the AAC encoder")
        return encoder
    }

    // MARK: - Video

    private func encodeVideo(_ frame: FrameReference, seconds: Double) throws(RenditionFailure) {
        guard let video, let timeBase = source.videoTimeBase else { return }
        if plan.dropsFrames {
            // Keep the first frame of each 1/maxFrameRate slot: 120 fps keeps every other one.
            let slot = Int64((seconds * Double(plan.maxFrameRate) + 1e-6).rounded(.down))
            if let last = lastFrameSlot, slot <= last { return }
            lastFrameSlot = slot
        }
        var pts = Int64((seconds / av_q2d(timeBase)).rounded())
        // The muxer refuses repeated timestamps; nudge a duplicate forward one tick.
        if let last = lastVideoPts, pts <= last { pts = last + 1 }
        lastVideoPts = pts
        frame.pointer.pointee.pts = pts

        if graph == nil {
            graph = try VideoScaleGraph(first: frame.pointer, timeBase: timeBase, width: plan.width, height: plan.height, quarterTurns: plan.rotation)
        }
        try graph?.push(frame.pointer)
        try drainGraph(into: video)
    }

    private func drainGraph(into video: CodecContext) throws(RenditionFailure) {
        while let scaled = try graph?.pull() {
            // Keyframes land where x264 likes, except at segment boundaries, where every rung must have one.
            let boundary = segmentClock?.isBoundary(pts: scaled.pointer.pointee.pts) ?? false
            scaled.pointer.pointee.pict_type = boundary ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE
            try RenditionFailure.check(avcodec_send_frame(video.pointer, scaled.pointer), "libx264 rejected a frame")
            try drainEncoder(video, stream: videoStream, isVideo: true)
        }
    }

    // MARK: - Audio

    private func encodeAudio(_ frame: FrameReference, seconds: Double) throws(RenditionFailure) {
        guard let audio, let resampler else { return }
        if nextAudioPts == nil { nextAudioPts = Int64((seconds * Double(plan.audioSampleRate)).rounded()) }
        try resampler.write(frame.pointer)
        try drainFifo(into: audio, resampler: resampler, final: false)
    }

    /// Encodes whole AAC frames from the FIFO; at the end, also the short remainder.
    private func drainFifo(into audio: CodecContext, resampler: AudioResampler, final: Bool) throws(RenditionFailure) {
        let frameSize = max(audio.pointer.pointee.frame_size, 1)
        // AAC decoders return whole frames, so a source's last frame carries padding
        // past its stated duration; stop at the duration like ffprobe's edit list does.
        let end = source.durationSeconds.map { Int64(($0 * Double(plan.audioSampleRate)).rounded()) } ?? .max
        while resampler.buffered >= frameSize || (final && resampler.buffered > 0) {
            let pts = nextAudioPts ?? 0
            guard pts < end else {
                resampler.discardBuffered()
                return
            }
            let frame = try resampler.read(samples: Int32(min(Int64(frameSize), end - pts)))
            frame.pointer.pointee.pts = pts
            nextAudioPts = pts + Int64(frame.pointer.pointee.nb_samples)
            try RenditionFailure.check(avcodec_send_frame(audio.pointer, frame.pointer), "the AAC encoder rejected a frame")
            try drainEncoder(audio, stream: audioStream, isVideo: false)
        }
    }

    // MARK: - Packets

    private func drainEncoder(_ encoder: CodecContext, stream: Int32, isVideo: Bool) throws(RenditionFailure) {
        guard let writer, let packet = packet?.pointer else { return }
        while true {
            let status = avcodec_receive_packet(encoder.pointer, packet)
            if status == vp_AVERROR(EAGAIN) || status == vp_AVERROR_EOF() { return }
            try RenditionFailure.check(status, isVideo ? "libx264 failed" : "the AAC encoder failed")
            if isVideo {
                // libx264 leaves durations unset; the muxer needs one for the last sample.
                if packet.pointee.duration == 0 {
                    packet.pointee.duration = av_rescale_q(1, av_inv_q(outputFrameRate), encoder.pointer.pointee.time_base)
                }
            }
            packet.pointee.stream_index = stream
            if isVideo { videoPackets += 1 }
            if let track = isVideo ? videoTrack : audioTrack, let copy = trackPacket?.pointer {
                try RenditionFailure.check(av_packet_ref(copy, packet), "out of memory (packet reference)")
                copy.pointee.stream_index = 0
                av_packet_rescale_ts(copy, encoder.pointer.pointee.time_base, track.timeBase)
                try track.write(copy)
            }
            av_packet_rescale_ts(packet, encoder.pointer.pointee.time_base, writer.timeBase(of: stream))
            try writer.write(packet)
        }
    }

    private func flush() throws(RenditionFailure) {
        if let video {
            try graph?.close()
            try drainGraph(into: video)
            try RenditionFailure.check(avcodec_send_frame(video.pointer, nil), "cannot flush libx264")
            try drainEncoder(video, stream: videoStream, isVideo: true)
        }
        if let audio, let resampler {
            try resampler.write(nil)
            try drainFifo(into: audio, resampler: resampler, final: true)
            try RenditionFailure.check(avcodec_send_frame(audio.pointer, nil), "cannot flush the AAC encoder")
            try drainEncoder(audio, stream: audioStream, isVideo: false)
        }
        try writer?.finish()
        try videoTrack?.finish()
        try audioTrack?.finish()
    }
}

/// Where a rung's segments start: at the first frame, then at every multiple of the segment
/// length from it, the same rule the `hls` muxer cuts by. Every rung sees the same frames
/// (the same source timestamps, the same frame-rate cap), so all force IDRs on the same ones.
struct SegmentBoundaryClock {
    let segmentSeconds: Double
    let timeBase: AVRational
    private var origin: Int64?
    private var nextIndex: Int64 = 1

    init(segmentSeconds: Double, timeBase: AVRational) {
        self.segmentSeconds = segmentSeconds
        self.timeBase = timeBase
    }

    /// Whether the frame at `pts` (in ``timeBase``) is the first at or past the next boundary.
    mutating func isBoundary(pts: Int64) -> Bool {
        guard let origin else {
            origin = pts
            return true
        }
        guard pts >= boundary(nextIndex, from: origin) else { return false }
        // A gap longer than a segment (VFR) crosses several boundaries: one keyframe serves them.
        while pts >= boundary(nextIndex, from: origin) { nextIndex += 1 }
        return true
    }

    private func boundary(_ index: Int64, from origin: Int64) -> Int64 {
        // Exact integer ticks: the muxer compares timestamps exactly, not in floating point.
        // Rounded up, so a frame at or past the tick is at or past the boundary itself.
        let ticks = av_rescale_q_rnd(Int64((Double(index) * segmentSeconds * 1_000_000).rounded()),
                                     AVRational(num: 1, den: 1_000_000), timeBase, AV_ROUND_UP)
        return origin + ticks
    }
}
