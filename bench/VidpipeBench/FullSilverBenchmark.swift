import Foundation
import Media

/// The whole silver job (QC, enrichment, thumbnails, default ladder from one decode, and
/// the ladder's HLS stream, on by default) against two ffmpeg baselines measured in the same
/// run on the same clip (neither writes a stream):
///
/// - the best single ffmpeg command doing the same QC filters and encodes from one decode
///   (`-filter_complex` with `split`/`asplit`), goal ≤ 1.15×; its QC is the QC benchmark's
///   "same checks", idet on vidpipe's sampling windows (`SilverBenchmark.videoChecks`);
/// - the original design's separate runs (one ffprobe, one QC run, one run per rendition,
///   one per thumbnail), goal ≤ 0.75×.
///
/// Peak memory is measured in child processes (`vidpipe-bench silver-once`), so each number
/// is one job's alone: goal < 600 MB, and a 60 s source ≤ 10 % above a 10 s one.
enum FullSilverBenchmark {
    static let singleCommand = "ffmpeg, one command (split)"
    static let separateRuns = "ffmpeg, separate runs"
    static let silver = "full silver pass"

    /// What the two ffmpeg baselines run: one command, and the separate commands in order.
    struct Baselines {
        var single: [String]
        var separate: [[String]]
    }

    /// Times `repetitions` rounds after one untimed warm-up; each round runs the three
    /// contenders back to back so that machine noise hits them alike. `shortSource` and
    /// `longSource` (e.g. 10 s and 60 s) add the peak-memory comparison.
    static func run(source: String, repetitions: Int, shortSource: String?, longSource: String?) async throws -> String {
        guard repetitions > 0 else { throw Measurement.Failure(description: "repetitions must be positive") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-silver-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        let ours = (scratch as NSString).appendingPathComponent("ours")
        let plan = MediaPassPlan(outputDirectory: ours)
        // The warm-up also tells the ffmpeg commands the rung sizes our planner chose.
        let warmUp = try await MediaPass.run(path: source, plan: plan)
        let probe = try MediaProbe.probe(path: source)
        let baselines = commands(source: source, probe: probe, renditions: warmUp.renditions, directory: scratch)

        let loadBefore = Measurement.loadAverage()
        var table = TimingTable()
        for _ in 0..<repetitions {
            table.add(silver, try await Measurement.inProcess { _ = try await MediaPass.run(path: source, plan: plan) })
            table.add(singleCommand, try Measurement.children([baselines.single]))
            table.add(separateRuns, try Measurement.children(baselines.separate))
        }

        var lines = [
            "full silver benchmark: \(source), median of \(repetitions) rounds; load average \(loadBefore) before, \(Measurement.loadAverage()) after",
            "  ours: \(warmUp.decode.videoFramesDecoded) video frames, QC findings \(warmUp.qc.findings.map(\.kind.rawValue)), "
                + "\(warmUp.enrichment?.sceneCuts.count ?? 0) scene cuts, thumbnails \(warmUp.thumbnails == nil ? "none" : "poster + sprite + storyboard"), "
                + "renditions " + warmUp.renditions.map { String(format: "%@ %dx%d PSNR %.2f dB SSIM %.4f", $0.name, $0.width, $0.height, $0.psnr ?? .nan, $0.ssim ?? .nan) }
                .joined(separator: ", ")
                + ", HLS stream " + (warmUp.stream.map { String(format: "%g s segments%@", $0.segmentSeconds, $0.verified ? "" : " (NOT verified)") } ?? "none"),
            table.line(silver, against: singleCommand),
            table.line(singleCommand, against: singleCommand),
            table.line(separateRuns, against: singleCommand),
            table.goal("full silver / single ffmpeg command", silver, over: singleCommand, atMost: 1.15),
            table.goal("full silver / separate runs        ", silver, over: separateRuns, atMost: 0.75),
            String(format: "  single command / separate runs     : wall %.3f×, CPU %.3f× (the issue measured 0.69× wall)",
                   table.medianWall(singleCommand) / table.medianWall(separateRuns), table.medianCPU(singleCommand) / table.medianCPU(separateRuns)),
        ] + table.rounds(silver, against: [singleCommand, separateRuns])

        let jobPeak = try peakResidentKilobytes(source: source, directory: scratch)
        lines.append(String(format: "  peak RSS of one full silver job (child process, VmHWM): %.0f MB (goal < 600 MB: %@)",
                            jobPeak / 1024, jobPeak / 1024 < 600 ? "met" : "NOT met"))
        if let shortSource, let longSource {
            let short = try peakResidentKilobytes(source: shortSource, directory: scratch)
            let long = try peakResidentKilobytes(source: longSource, directory: scratch)
            let growth = long / short - 1
            lines.append(String(format: "  peak RSS %@ %.0f MB vs %@ %.0f MB: %+.1f %% (goal ≤ +10 %%: %@)",
                                (longSource as NSString).lastPathComponent, long / 1024, (shortSource as NSString).lastPathComponent,
                                short / 1024, growth * 100, growth <= 0.10 ? "met" : "NOT met"))
        }

        lines.append("  single command:")
        lines.append("    " + Measurement.shellLine(baselines.single))
        lines.append("  separate runs:")
        lines += baselines.separate.map { "    " + Measurement.shellLine($0) }
        return lines.joined(separator: "\n")
    }

    /// One full silver job in this process, then this process's peak resident set in kB
    /// (`VmHWM`): what `silver-once` prints for the parent to read.
    static func runOnce(source: String, outputDirectory: String) async throws -> Double {
        _ = try await MediaPass.run(path: source, plan: MediaPassPlan(outputDirectory: outputDirectory))
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else {
            throw Measurement.Failure(description: "no VmHWM in /proc/self/status")
        }
        return kilobytes
    }

    /// Runs `vidpipe-bench silver-once` as a child so the peak is one job's and nothing else's.
    private static func peakResidentKilobytes(source: String, directory: String) throws -> Double {
        let output = (directory as NSString).appendingPathComponent("once-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let printed = try Measurement.run([executable, "silver-once", source, "--output", output])
        guard let kilobytes = Double(printed.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Measurement.Failure(description: "silver-once printed '\(printed)', not a number of kB")
        }
        return kilobytes
    }

    /// The ffmpeg baselines, with the encoder settings of `renditions` (sizes from our plan,
    /// bit rates, VBV and GOP from the default ladder) and our thumbnail options.
    static func commands(source: String, probe: ProbeReport, renditions: [RenditionResult], directory: String) -> Baselines {
        let ladder = RenditionLadder.default
        let thumbnails = ThumbnailOptions()
        let qc = QCOptions()
        let rate = probe.primaryVideo?.averageFrameRate?.value ?? 30
        let gop = Int((ladder.keyframeIntervalSeconds * min(rate, Double(ladder.maxFrameRate))).rounded())
        let duration = probe.container.durationSeconds ?? 10
        let rows = (thumbnails.tiles + thumbnails.columns - 1) / thumbnails.columns
        func file(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

        let videoQC = SilverBenchmark.videoChecks(qc)
        let audioQC = SilverBenchmark.audioChecks(qc)
        // The poster: ffmpeg's own representative-frame pick; the sprite: one tile per slot.
        let poster = "thumbnail,scale=w='min(\(thumbnails.posterMaxWidth),iw)':h=-2"
        let sprite = "fps=\(thumbnails.tiles)/\(String(format: "%.3f", duration)),scale=\(thumbnails.tileWidth):-2,tile=\(thumbnails.columns)x\(rows)"
        let jpeg = ["-frames:v", "1", "-q:v", "\(thumbnails.jpegQScale)", "-update", "1"]
        let quiet = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y"]

        func encoderArguments(_ result: RenditionResult) -> [String] {
            let rung = ladder.rungs.first { $0.name == result.name } ?? ladder.rungs[ladder.rungs.count - 1]
            var arguments = ["-c:v", "libx264", "-preset", ladder.preset, "-g", "\(gop)"]
            if let bitRate = rung.videoBitRate { arguments += ["-b:v", "\(bitRate)"] } else { arguments += ["-crf", "\(rung.crf)"] }
            if let maxRate = rung.maxRate { arguments += ["-maxrate", "\(maxRate)"] }
            if let bufferSize = rung.bufferSize { arguments += ["-bufsize", "\(bufferSize)"] }
            return arguments + ["-c:a", "aac", "-b:a", "\(rung.audioBitRate)", "-ar", "48000", "-ac", "2", "-movflags", "+faststart"]
        }

        // One decode: video split to QC, poster, sprite and every rung; audio split to QC and every rung.
        let count = renditions.count
        var graph = "[0:v]split=\(count + 3)[vq][vp][vs]" + (0..<count).map { "[v\($0)]" }.joined()
        graph += ";[vq]\(videoQC)[qv];[vp]\(poster)[poster];[vs]\(sprite)[sprite]"
        for (index, result) in renditions.enumerated() {
            graph += ";[v\(index)]scale=\(result.width):\(result.height),setsar=1[r\(index)]"
        }
        graph += ";[0:a]asplit=\(count + 1)[aq]" + (0..<count).map { "[a\($0)]" }.joined() + ";[aq]\(audioQC)[qa]"
        var single = quiet + ["-i", source, "-filter_complex", graph,
                              "-map", "[qv]", "-map", "[qa]", "-f", "null", "-",
                              "-map", "[poster]"] + jpeg + [file("ffmpeg-poster.jpg"), "-map", "[sprite]"] + jpeg + [file("ffmpeg-sprite.jpg")]
        for (index, result) in renditions.enumerated() {
            single += ["-map", "[r\(index)]", "-map", "[a\(index)]"] + encoderArguments(result) + [file("ffmpeg-\(result.name).mp4")]
        }

        var separate: [[String]] = [
            ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", source],
            quiet + ["-i", source, "-vf", videoQC, "-af", audioQC, "-f", "null", "-"],
        ]
        for result in renditions {
            separate.append(quiet + ["-i", source, "-vf", "scale=\(result.width):\(result.height),setsar=1"]
                            + encoderArguments(result) + [file("separate-\(result.name).mp4")])
        }
        separate.append(quiet + ["-i", source, "-vf", poster] + jpeg + [file("separate-poster.jpg")])
        separate.append(quiet + ["-i", source, "-vf", sprite] + jpeg + [file("separate-sprite.jpg")])
        return Baselines(single: single, separate: separate)
    }
}
