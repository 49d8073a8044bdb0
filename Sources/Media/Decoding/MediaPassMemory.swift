import CFFmpeg
import Foundation

extension MediaPassPlan {
    /// What one ``MediaPass`` of this plan over the probed source adds to the process's
    /// resident memory at its peak, in bytes: an estimate for admitting passes against a
    /// memory budget before they decode.
    ///
    /// The terms follow what holds memory, and the constants were measured (peak RSS of
    /// `vidpipe process` on one 5 s clip at 320x240, 854x480, 1280x720 and 1920x1080, with and
    /// without renditions; x264 alone at 1 to 16 threads) and rounded up: the estimates are
    /// 0-6 % above those four measurements (1080p: 424 MiB estimated, 407-411 MiB measured).
    /// - the pass itself (demuxer, QC filter graphs, enrichment, thumbnails, audio): 32 MiB;
    /// - decoded source frames alive at once: about 10 in the decoder and the QC queue, plus
    ///   ``RenditionEncoder/defaultQueueDepth`` more waiting for the rung encoders;
    /// - each rung: 6 MiB, plus x264's frames at the rung's size: 72 bytes per pixel, and
    ///   12 more per encoder thread (frame threads each hold frames of their own).
    public func estimatedPeakBytes(for source: ProbeReport) -> Int {
        let passBase = 32 << 20
        guard let video = source.videoStreams.max(by: { Self.pixels($0) < Self.pixels($1) }),
              let width = video.width, let height = video.height, width > 0, height > 0 else { return passBase }
        let rungs = ladder?.plan(for: RenditionSource(probed: video, width: width, height: height)) ?? []
        let framesAlive = 10 + (rungs.isEmpty ? 0 : RenditionEncoder.defaultQueueDepth)
        let encoders = rungs.reduce(0) { total, rung in
            total + (6 << 20) + rung.width * rung.height * (72 + 12 * rung.encoderThreads)
        }
        return passBase + framesAlive * Self.frameBytes(video, width: width, height: height) + encoders
    }

    private static func pixels(_ stream: StreamInfo) -> Int { (stream.width ?? 0) * (stream.height ?? 0) }

    /// One decoded frame in the stream's own pixel format (8-bit 4:2:0 when unknown).
    private static func frameBytes(_ stream: StreamInfo, width: Int, height: Int) -> Int {
        let format = stream.pixelFormat.map { av_get_pix_fmt($0) } ?? AV_PIX_FMT_NONE
        let size = format == AV_PIX_FMT_NONE ? -1 : av_image_get_buffer_size(format, Int32(width), Int32(height), 1)
        return size > 0 ? Int(size) : width * height * 3 / 2
    }
}

extension RenditionSource {
    /// The ladder's view of a probed video stream.
    init(probed stream: StreamInfo, width: Int, height: Int) {
        let rate = stream.averageFrameRate?.value.flatMap { $0 > 0 ? $0 : nil }
        self.init(width: width, height: height, sampleAspectRatio: stream.sampleAspectRatio ?? Rational(1, 1),
                  rotationDegrees: stream.rotationDegrees ?? 0, frameRate: rate)
    }
}
