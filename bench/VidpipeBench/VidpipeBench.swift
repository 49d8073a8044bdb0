import ArgumentParser
import Foundation
import Media
import ObjectStorage

/// `vidpipe-bench`: measurements printed as medians and ratios against the ffmpeg CLI
/// measured in the same run. `bench/run` builds it in release mode and prepares inputs.
@main
struct VidpipeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vidpipe-bench",
        abstract: "vidpipe benchmarks.",
        subcommands: [Probe.self, Scheduler.self, QC.self, Ladder.self, Silver.self, SilverOnce.self, AdaptiveStream.self, S3.self]
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

    /// The full silver job vs one ffmpeg split command (goal ≤ 1.15×) and vs the original
    /// design's separate runs (goal ≤ 0.75×), plus peak memory in child processes.
    struct Silver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the full silver job against ffmpeg baselines and measure its peak memory.")

        @Argument(help: "A source video, e.g. a 1080p30 15 s H.264+AAC clip.")
        var source: String

        @Option(help: "Timed rounds (each runs all three contenders).")
        var repetitions = 3

        @Option(help: "A short source (e.g. 10 s) for the peak-memory comparison.")
        var shortSource: String?

        @Option(help: "A long source (e.g. 60 s) for the peak-memory comparison.")
        var longSource: String?

        func run() async throws {
            FFmpegLibraries.setLogLevel(.quiet)
            print(try await FullSilverBenchmark.run(source: source, repetitions: repetitions, shortSource: shortSource, longSource: longSource))
        }
    }

    /// The full silver job with the HLS stream vs without it (goal ≤ 1.05×).
    struct AdaptiveStream: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hls", abstract: "Time the full silver job with the HLS/CMAF stream against the same job without it.")

        @Argument(help: "A source video, e.g. a 1080p30 15 s H.264+AAC clip.")
        var source: String

        @Option(help: "Timed rounds (each runs both variants).")
        var repetitions = 5

        @Option(help: "Segment length, seconds.")
        var segmentSeconds = 4.0

        func run() async throws {
            FFmpegLibraries.setLogLevel(.quiet)
            print(try await AdaptiveStreamBenchmark.run(source: source, repetitions: repetitions, segmentSeconds: segmentSeconds))
        }
    }

    /// One full silver job, then the process's peak resident set in kB: the child that
    /// `silver` runs to measure one job's memory alone.
    struct SilverOnce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "silver-once", abstract: "Run one full silver job and print this process's peak RSS in kB.")

        @Argument(help: "A source video.")
        var source: String

        @Option(help: "Folder for the thumbnails and renditions.")
        var output: String

        func run() async throws {
            FFmpegLibraries.setLogLevel(.quiet)
            print(Int(try await FullSilverBenchmark.runOnce(source: source, outputDirectory: output)))
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

    /// One large object up and down with vidpipe's S3 client vs `aws s3 cp` (goal ≤ 1.0× the
    /// upload time). `bench/s3` starts a private store and makes the file.
    struct S3: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "s3",
            abstract: "Upload and download one file with vidpipe's S3 client and with aws s3 cp, alternately.",
            discussion: "The store and credentials come from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION.")

        @Argument(help: "The file to upload, e.g. 1 GiB.")
        var file: String

        @Argument(help: "s3://bucket/prefix for the objects (the bucket must exist).")
        var prefix: String

        @Option(help: "The aws CLI.")
        var aws = "aws"

        @Option(help: "Timed rounds (each runs every contender once).")
        var repetitions = 5

        @Option(help: "vidpipe's part size in MiB (default: the client's).")
        var partSize: Int?

        @Option(help: "vidpipe's parts in flight (default: the client's).")
        var concurrency: Int?

        @Option(help: "The store's process id, to report its CPU time per run.")
        var storePID: Int32?

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            guard let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
                throw ValidationError("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a local store)")
            }
            var configuration = S3Configuration(endpoint: environment["AWS_ENDPOINT_URL"], region: environment["AWS_REGION"] ?? "us-east-1",
                                                accessKeyID: key, secretAccessKey: secret)
            if let partSize { configuration.partSize = partSize << 20 }
            if let concurrency { configuration.uploadConcurrency = concurrency }
            print(try await S3Benchmark.run(.init(file: file, prefix: try S3Location(uri: prefix), aws: aws, repetitions: repetitions,
                                                  configuration: configuration, storePID: storePID)))
        }
    }
}
