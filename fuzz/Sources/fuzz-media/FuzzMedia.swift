import Foundation
import Media

/// A folder of this process's own for the input file and the pass's thumbnails; FFmpeg's
/// own complaints about broken input would only slow the run down.
let scratch: String = {
    FFmpegLibraries.setLogLevel(.quiet)
    let path = NSTemporaryDirectory() + "vidpipe-fuzz-media-\(getpid())"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

/// The input as a video file, through what bronze and silver do with it: the probe, then
/// (when it probes) one media pass with quality checks, enrichment and thumbnails.
/// Renditions are left out: x264 would spend the time on encoding, not on our code. Any
/// bytes must end in reports or a ``MediaError``, never a crash or a sanitizer report.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMedia(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = scratch + "/input"
    let outputs = scratch + "/outputs"
    guard FileManager.default.createFile(atPath: file, contents: Data(bytes: bytes, count: size)) else {
        fatalError("cannot write \(file)")
    }
    defer { try? FileManager.default.removeItem(atPath: outputs) }
    do throws(MediaError) {
        _ = try MediaProbe.probe(path: file)
        _ = try MediaPass.run(path: file, plan: MediaPassPlan(outputDirectory: outputs, ladder: nil))
    } catch {
        // Jobs report the error against the file they were given.
        precondition(error.path == file, "a media error that does not name the file: \(error)")
    }
    return 0
}
