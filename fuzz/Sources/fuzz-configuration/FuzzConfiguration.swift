import Foundation
import Media
import VidpipeConfiguration

/// A folder of this process's own for the config file each input becomes.
let scratch: String = {
    let path = NSTemporaryDirectory() + "vidpipe-fuzz-configuration-\(getpid())"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

/// The input as `VIDPIPE_CONFIG_FILE`, loaded the way the daemon starts: once as it is, and
/// once as the `KAFKA_CLIENT_PROPERTIES` file too. Any bytes must end in a configuration or
/// a ``ConfigurationError``, never a crash. The environment pins the two file variables so
/// a config file cannot name another file to read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = scratch + "/vidpipe.env"
    guard FileManager.default.createFile(atPath: file, contents: Data(bytes: bytes, count: size)) else {
        fatalError("cannot write \(file)")
    }
    for properties in ["", file] {
        let environment = ["VIDPIPE_CONFIG_FILE": file, "KAFKA_CLIENT_PROPERTIES": properties]
        if let configuration = try? VidpipeConfiguration.load(environment: environment, workingDirectory: scratch) {
            // What `vidpipe config` prints, and the durations the daemon derives (they trap on
            // values too large for a Duration).
            _ = configuration.description
            let ingest = configuration.ingest
            for seconds in [configuration.inboxPollSeconds, configuration.shutdownGraceSeconds,
                            configuration.postgresCallDeadlineSeconds, ingest.taskTimeoutSeconds] {
                _ = Duration.seconds(seconds)
            }
        }
    }
    // The rendition ladder's own syntax, reached directly as well as through VIDPIPE_RENDITIONS.
    _ = try? LadderSyntax.parse(String(decoding: Data(bytes: bytes, count: size), as: UTF8.self), variable: "VIDPIPE_RENDITIONS")
    return 0
}
