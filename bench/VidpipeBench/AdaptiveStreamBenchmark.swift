import Foundation
import Media

/// The full silver job with the HLS/CMAF stream against the same job without it, on one
/// clip, in alternating rounds. The stream's segments come from packets the renditions
/// already encode, so the goal is ≤ 1.05× (the muxing and the per-segment IDRs are the
/// whole extra cost).
enum AdaptiveStreamBenchmark {
    static let withStream = "full silver with HLS"
    static let withoutStream = "full silver without HLS"

    static func run(source: String, repetitions: Int, segmentSeconds: Double) async throws -> String {
        guard repetitions > 0 else { throw Measurement.Failure(description: "repetitions must be positive") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-hls-bench-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        func plan(_ name: String, segments: Double?) -> MediaPassPlan {
            var ladder = RenditionLadder.default
            ladder.segmentSeconds = segments
            return MediaPassPlan(outputDirectory: (scratch as NSString).appendingPathComponent(name), ladder: ladder)
        }
        let streamed = plan("with", segments: segmentSeconds)
        let plain = plan("without", segments: nil)
        let warmUp = try await MediaPass.run(path: source, plan: streamed)
        guard let stream = warmUp.stream, stream.verified else {
            throw Measurement.Failure(description: "the warm-up wrote no verified stream: \(warmUp.stream?.problems ?? ["none"])")
        }
        _ = try await MediaPass.run(path: source, plan: plain)

        let loadBefore = Measurement.loadAverage()
        var table = TimingTable()
        for round in 0..<repetitions {
            // Alternate which goes first, so a drift in the machine's load hits both alike.
            let order = round % 2 == 0 ? [(withStream, streamed), (withoutStream, plain)] : [(withoutStream, plain), (withStream, streamed)]
            for (name, plan) in order {
                try? FileManager.default.removeItem(atPath: plan.outputDirectory)
                table.add(name, try await Measurement.inProcess { _ = try await MediaPass.run(path: source, plan: plan) })
            }
        }
        let master = try String(contentsOfFile: stream.masterPath, encoding: .utf8)
        return ([
            "adaptive stream benchmark: \(source) (\(warmUp.decode.videoFramesDecoded) video frames), \(String(format: "%g", segmentSeconds)) s segments, "
                + "median of \(repetitions) rounds; load average \(loadBefore) before, \(Measurement.loadAverage()) after",
            "  ours: " + stream.variants.map { "\($0.name) \($0.codecs) \($0.peakBitRate / 1000)/\($0.averageBitRate / 1000) kb/s peak/avg" }
                .joined(separator: ", "),
            table.line(withoutStream, against: withoutStream),
            table.line(withStream, against: withoutStream),
            table.goal("with HLS / without", withStream, over: withoutStream, atMost: 1.05),
        ] + table.rounds(withStream, against: [withoutStream]) + [
            "  master playlist:",
        ] + master.split(separator: "\n").map { "    " + $0 }).joined(separator: "\n")
    }
}
