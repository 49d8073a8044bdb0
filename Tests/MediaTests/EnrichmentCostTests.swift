import CFFmpeg
import Foundation
@testable import Media
import Testing
import VidpipeTestSupport

/// Wraps a consumer and adds up the time spent in its calls: its own cost, which wall-clock
/// comparisons hide when the decoder's threads run alongside it.
private final class TimedConsumer: FrameConsumer {
    let inner: any FrameConsumer
    private(set) var elapsed = Duration.zero

    init(_ inner: any FrameConsumer) { self.inner = inner }

    private func timed(_ body: () throws -> Void) rethrows {
        let start = ContinuousClock.now
        try body()
        elapsed += ContinuousClock.now - start
    }

    func start(_ setup: DecodeSetup) throws { try timed { try inner.start(setup) } }
    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        try timed { try inner.consumeVideo(frame, seconds: seconds) }
    }
    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        try timed { try inner.consumeAudio(frame, seconds: seconds) }
    }
    func consumePacket(_ packet: UnsafeMutablePointer<AVPacket>, isVideo: Bool, seconds: Double?) throws {
        try timed { try inner.consumePacket(packet, isVideo: isVideo, seconds: seconds) }
    }
    func finish() throws { try timed { try inner.finish() } }
}

/// What the enrichment and thumbnail consumers cost per frame of a shared 1080p decode.
@Suite struct EnrichmentCostTests {
    @Test func consumersCostLittlePerFrame() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=10", "-pix_fmt", "yuv420p",
                                    "-c:v", "libx264", "-preset", "ultrafast", "clip.mp4"], in: scratch.url)
        let enrichment = EnrichmentConsumers()
        let timed = (enrichment.all + [ThumbnailRenderer(directory: scratch.path("out"))]).map(TimedConsumer.init)
        let start = ContinuousClock.now
        let report = try DecodePass(path: scratch.path("clip.mp4")).run(consumers: timed)
        let total = ContinuousClock.now - start
        let frames = Double(report.videoFramesDecoded)
        #expect(frames == 300)

        func milliseconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) * 1e-15
        }
        let costs = timed.map { "\(type(of: $0.inner)) \(String(format: "%.3f", milliseconds($0.elapsed) / frames))" }
        print("1080p30 pass \(String(format: "%.2f", milliseconds(total) / frames)) ms/frame; consumers ms/frame: \(costs.joined(separator: ", "))")
        // Generous bound for a debug build on a shared machine: no consumer touches full frames per frame.
        for consumer in timed { #expect(milliseconds(consumer.elapsed) / frames < 3) }
    }
}
