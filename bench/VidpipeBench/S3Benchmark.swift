import Foundation
import ObjectStorage

/// One large object up and down with vidpipe's S3 client vs `aws s3 cp` against the same
/// store, interleaved round by round (the first contender alternates) so both share the
/// machine's noise. The store's own CPU time is read from /proc for each run: on 2 shared
/// cores the server's work competes with the client's.
enum S3Benchmark {
    struct Settings {
        var file: String
        var prefix: S3Location
        /// The aws CLI executable.
        var aws: String
        var repetitions: Int
        var configuration: S3Configuration
        /// The store's process, whose CPU time is reported next to each run's; nil: not reported.
        var storePID: Int32?
    }

    static func run(_ settings: Settings) async throws -> String {
        let client = S3Client(configuration: settings.configuration)
        let size = (try FileManager.default.attributesOfItem(atPath: settings.file)[.size] as? NSNumber)?.int64Value ?? 0
        let expectedSHA256 = String(try Measurement.run(["sha256sum", settings.file]).prefix(64))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-bench-s3-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let configuration = settings.configuration
        let endpoint = ["--endpoint-url", configuration.endpoint]

        var table = TimingTable()
        var storeCPU: [String: [Double]] = [:]
        func timed(_ name: String, _ body: () async throws -> Timing) async throws {
            let before = settings.storePID.map(processCPUSeconds) ?? 0
            let timing = try await body()
            table.add(name, timing)
            if let pid = settings.storePID { storeCPU[name, default: []].append(processCPUSeconds(pid) - before) }
        }

        let vidpipeKey = settings.prefix.appending("vidpipe.bin"), awsKey = settings.prefix.appending("aws.bin")
        let vidpipeUp = "upload: vidpipe S3Client", awsUp = "upload: aws s3 cp"
        let vidpipeDown = "download: vidpipe S3Client (+SHA-256)", awsDown = "download: aws s3 cp"
        for round in 0..<settings.repetitions {
            let uploads: [(String, () async throws -> Timing)] = [
                (vidpipeUp, { try await Measurement.inProcess { try await client.upload(file: settings.file, to: vidpipeKey) } }),
                (awsUp, { try Measurement.children([[settings.aws, "s3", "cp", "--only-show-errors"] + endpoint + [settings.file, awsKey.description]]) }),
            ]
            for (name, body) in round.isMultiple(of: 2) ? uploads : uploads.reversed() { try await timed(name, body) }

            // Both objects must hold the file, else the timings compare different work.
            for location in [vidpipeKey, awsKey] {
                guard let stored = try await client.head(location), stored.size == size else {
                    throw Measurement.Failure(description: "\(location) does not hold the \(size) bytes of \(settings.file)")
                }
            }

            let vidpipeCopy = scratch + "/vidpipe.bin", awsCopy = scratch + "/aws.bin"
            var downloadedSHA256 = ""
            let downloads: [(String, () async throws -> Timing)] = [
                (vidpipeDown, { try await Measurement.inProcess { downloadedSHA256 = try await client.download(vidpipeKey, to: vidpipeCopy).sha256 } }),
                (awsDown, { try Measurement.children([[settings.aws, "s3", "cp", "--only-show-errors"] + endpoint + [awsKey.description, awsCopy]]) }),
            ]
            for (name, body) in round.isMultiple(of: 2) ? downloads : downloads.reversed() { try await timed(name, body) }
            let awsSHA256 = String(try Measurement.run(["sha256sum", awsCopy]).prefix(64))
            guard downloadedSHA256 == expectedSHA256, awsSHA256 == expectedSHA256 else {
                throw Measurement.Failure(description: "a download differs from \(settings.file)")
            }
            try? FileManager.default.removeItem(atPath: vidpipeCopy)
            try? FileManager.default.removeItem(atPath: awsCopy)
            for location in [vidpipeKey, awsKey] { try await client.delete(location) }
        }

        func storeLine(_ name: String) -> String {
            settings.storePID == nil ? "" : String(format: "  store CPU %6.2f s", Measurement.median(storeCPU[name, default: []]))
        }
        let mib = Double(size) / Double(1 << 20)
        return ([
            String(format: "%.0f MiB, %d rounds (medians; ratios against aws s3 cp in the same rounds)", mib, settings.repetitions),
            "  vidpipe: parts of \(configuration.partSize >> 20) MiB, \(configuration.uploadConcurrency) at a time",
            "  aws: defaults (multipart_chunksize 8 MiB, max_concurrent_requests 10)",
        ] + [(vidpipeUp, awsUp), (awsUp, awsUp), (vidpipeDown, awsDown), (awsDown, awsDown)].map { name, baseline in
            table.line(name, against: baseline) + storeLine(name) + String(format: "  %6.0f MiB/s", mib / table.medianWall(name))
        } + [
            table.goal("upload, vidpipe / aws", vidpipeUp, over: awsUp, atMost: 1.0),
            table.goal("download, vidpipe / aws", vidpipeDown, over: awsDown, atMost: 1.0),
        ]).joined(separator: "\n")
    }

    /// User + system CPU seconds of a running process, from /proc/PID/stat.
    static func processCPUSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
