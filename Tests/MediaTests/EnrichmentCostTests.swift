import Foundation
@testable import Media
import Testing

/// What the enrichment and thumbnail consumers add to a shared decode, per frame.
@Suite struct EnrichmentCostTests {
    private static func secondsToRun(_ path: String, _ consumers: () -> [any FrameConsumer]) throws -> Double {
        // Best of two: the machine is shared, the minimum is the least disturbed run.
        var best = Double.infinity
        for _ in 0..<2 {
            let pass = try DecodePass(path: path)
            let list = consumers()
            let start = ContinuousClock.now
            _ = try pass.run(consumers: list)
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return best
    }

    @Test func consumersAddLittleToTheDecode() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=6", "-pix_fmt", "yuv420p",
                                    "-c:v", "libx264", "-preset", "ultrafast", "clip.mp4"], in: scratch.url)
        let path = scratch.path("clip.mp4")
        let frames = 180.0
        let bare = try Self.secondsToRun(path) { [] }
        let enrichment = try Self.secondsToRun(path) { EnrichmentConsumers().all }
        let thumbnails = try Self.secondsToRun(path) { [ThumbnailRenderer(directory: scratch.path("out"))] }
        let perFrame = { (seconds: Double) in String(format: "%.2f ms/frame", (seconds - bare) / frames * 1000) }
        print("1080p decode \(String(format: "%.2f", bare / frames * 1000)) ms/frame; enrichment adds \(perFrame(enrichment)), thumbnails add \(perFrame(thumbnails))")
        // Generous bound: a shared 2-core machine; the point is that nothing scales full frames per frame.
        #expect(enrichment < bare * 1.5)
        #expect(thumbnails < bare * 1.5)
    }
}
