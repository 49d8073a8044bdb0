import Execution
import Foundation
import Media

/// The default ladder from one in-process decode vs the best single ffmpeg command doing
/// the same encodes from one decode (`split` into per-rung `scale`s, same x264 preset,
/// bit rates and GOP, AAC 48 kHz stereo per output, faststart MP4s).
enum RenditionBenchmark {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Times `repetitions` runs of each variant (after one untimed warm-up of ours, which
    /// also gives the peak RSS before anything else ran) and returns a printable report.
    static func run(source: String, repetitions: Int) throws -> String {
        guard repetitions > 0 else { throw Failure(description: "repetitions must be positive") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-rendition-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let ladder = RenditionLadder.default
        var noQuality = ladder
        noQuality.measuresQuality = false
        var autoThreads = noQuality
        autoThreads.encoderThreads = 0

        let warmUp = try Renditions.encode(path: source, ladder: ladder, into: scratch.path)
        let peakMegabytes = peakResidentMegabytes()
        let sourceRate = (try? MediaProbe.probe(path: source))?.primaryVideo?.averageFrameRate?.value ?? 30
        let gop = Int((ladder.keyframeIntervalSeconds * min(sourceRate, Double(ladder.maxFrameRate))).rounded())
        let ffmpegArguments = ffmpegCommand(source: source, results: warmUp, ladder: ladder, gop: gop, directory: scratch.path)

        let clock = ContinuousClock()
        var timings: [String: [Double]] = [:]
        // CPU seconds too: on a shared machine wall time also measures the neighbours.
        var cpu: [String: [Double]] = [:]
        let variants: [(String, RenditionLadder)] = [
            ("ours (PSNR, SSIM measured)", ladder), ("ours (not measured)", noQuality), ("ours (not measured, x264 auto threads)", autoThreads),
        ]
        for _ in 0..<repetitions {
            for (name, variant) in variants {
                let before = cpuSeconds(RUSAGE_SELF)
                let elapsed = try clock.measure { _ = try Renditions.encode(path: source, ladder: variant, into: scratch.path) }
                timings[name, default: []].append(elapsed.seconds)
                cpu[name, default: []].append(cpuSeconds(RUSAGE_SELF) - before)
            }
            let before = cpuSeconds(RUSAGE_CHILDREN)
            let elapsed = try clock.measure { try runFFmpeg(ffmpegArguments) }
            timings["ffmpeg split command", default: []].append(elapsed.seconds)
            cpu["ffmpeg split command", default: []].append(cpuSeconds(RUSAGE_CHILDREN) - before)
        }

        let baseline = median(timings["ffmpeg split command"] ?? [])
        let cpuBaseline = median(cpu["ffmpeg split command"] ?? [])
        var lines = ["rendition benchmark: \(source), \(repetitions) runs each, rungs \(warmUp.map { "\($0.name) \($0.width)x\($0.height)" }.joined(separator: ", "))"]
        for name in variants.map(\.0) + ["ffmpeg split command"] {
            let value = median(timings[name] ?? [])
            let cpuValue = median(cpu[name] ?? [])
            lines.append(String(format: "  %-36@ median wall %7.2f s (ratio %.3f), CPU %7.2f s (ratio %.3f)", name as NSString,
                                value, baseline > 0 ? value / baseline : .infinity, cpuValue, cpuBaseline > 0 ? cpuValue / cpuBaseline : .infinity))
        }
        lines.append(String(format: "  peak RSS of our encode (first run in this process): %.0f MB (goal < 600 MB)", peakMegabytes))
        for result in warmUp {
            lines.append(String(format: "  %@: %lld bytes, %.0f kb/s, PSNR %.2f dB, SSIM %.4f, verified %@", result.name as NSString, result.sizeBytes,
                                Double(result.bitRate ?? 0) / 1000, result.psnr ?? .nan, result.ssim ?? .nan, result.verified ? "yes" : "NO \(result.problems)"))
        }
        lines.append("  ffmpeg " + ffmpegArguments.joined(separator: " "))
        return lines.joined(separator: "\n")
    }

    /// One ffmpeg process: decode once, split, scale per rung, encode every rung like ours.
    static func ffmpegCommand(source: String, results: [RenditionResult], ladder: RenditionLadder, gop: Int, directory: String) -> [String] {
        let count = results.count
        let labels = (0..<count).map { "s\($0)" }
        var graph = "[0:v]split=\(count)" + labels.map { "[\($0)]" }.joined()
        for (index, result) in results.enumerated() {
            graph += ";[s\(index)]scale=\(result.width):\(result.height),setsar=1[v\(index)]"
        }
        var arguments = ["-nostdin", "-y", "-v", "error", "-i", source, "-filter_complex", graph]
        for (index, result) in results.enumerated() {
            guard let rung = ladder.rungs.first(where: { $0.name == result.name }) ?? ladder.rungs.last else { continue }
            arguments += ["-map", "[v\(index)]", "-map", "0:a?", "-c:v", "libx264", "-preset", ladder.preset, "-g", "\(gop)"]
            if let bitRate = rung.videoBitRate { arguments += ["-b:v", "\(bitRate)"] } else { arguments += ["-crf", "\(rung.crf)"] }
            if let maxRate = rung.maxRate { arguments += ["-maxrate", "\(maxRate)"] }
            if let bufferSize = rung.bufferSize { arguments += ["-bufsize", "\(bufferSize)"] }
            arguments += ["-c:a", "aac", "-b:a", "\(rung.audioBitRate)", "-ar", "48000", "-ac", "2", "-movflags", "+faststart",
                          (directory as NSString).appendingPathComponent("ffmpeg-\(result.name).mp4")]
        }
        return arguments
    }

    private static func runFFmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg"] + arguments
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(description: "ffmpeg exited \(process.terminationStatus)") }
    }

    /// This process's peak resident set size (Linux reports ru_maxrss in kilobytes).
    private static func peakResidentMegabytes() -> Double {
        Double(usage(RUSAGE_SELF).ru_maxrss) / 1024
    }

    /// User + system CPU time of this process, or of its waited-for children.
    private static func cpuSeconds(_ who: __rusage_who) -> Double {
        let counted = usage(who)
        func value(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return value(counted.ru_utime) + value(counted.ru_stime)
    }

    private static func usage(_ who: __rusage_who) -> rusage {
        var usage = rusage()
        getrusage(__rusage_who_t(who.rawValue), &usage)
        return usage
    }

    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
    }
}
