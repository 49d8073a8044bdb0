import ArgumentParser
import Media

/// `vidpipe-bench`: measurements printed as medians and ratios against the ffmpeg CLI
/// measured in the same run. `bench/run` builds it in release mode and prepares inputs.
@main
struct VidpipeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vidpipe-bench",
        abstract: "vidpipe benchmarks.",
        subcommands: [Probe.self, Scheduler.self, QC.self, Ladder.self]
    )

    /// In-process probing vs one ffprobe process per file (goal ≤ 0.1×).
    struct Probe: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Probe every file of a folder in-process and with ffprobe.")

        @Argument(help: "A folder of media files.")
        var directory: String

        @Option(help: "In-process passes over the folder.")
        var repetitions = 10

        @Option(help: "ffprobe passes over the folder.")
        var ffprobeRepetitions = 3

        func run() throws {
            FFmpegLibraries.setLogLevel(.quiet)
            let result = try ProbeBenchmark.run(directory: directory, repetitions: repetitions, ffprobeRepetitions: ffprobeRepetitions)
            print(result.report)
        }
    }

    /// The QC-only silver pass vs ffmpeg's bare decode (goal ≤ 1.2×) and vs ffmpeg running
    /// the same checks (goal ≤ 1.0×).
    struct QC: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time the QC-only silver pass against the ffmpeg CLI on one clip.")

        @Argument(help: "A media file, e.g. a 1080p30 15 s H.264+AAC clip.")
        var source: String

        @Option(help: "Timed rounds (each runs all three contenders).")
        var repetitions = 5

        func run() throws {
            FFmpegLibraries.setLogLevel(.quiet)
            print(try SilverBenchmark.runQC(source: source, repetitions: repetitions))
        }
    }

    /// The default ladder from one decode vs one ffmpeg split command (issue 3's renditions).
    struct Ladder: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "renditions", abstract: "Encode the default ladder in-process and with one ffmpeg command.")

        @Argument(help: "A source video, e.g. a 1080p30 15 s H.264+AAC clip.")
        var source: String

        @Option(help: "Timed runs per variant.")
        var repetitions = 3

        func run() throws {
            FFmpegLibraries.setLogLevel(.error)
            print(try RenditionBenchmark.run(source: source, repetitions: repetitions))
        }
    }

    /// Building and running a DAG of no-op tasks (goal < 50 ms for 1,000).
    struct Scheduler: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build and run DAGs of no-op tasks.")

        @Option(help: "Tasks per DAG.")
        var nodes = 1000

        @Option(help: "Timed runs per shape.")
        var repetitions = 15

        func run() async throws {
            print(try await DAGBenchmark.run(nodeCount: nodes, repetitions: repetitions))
        }
    }
}
