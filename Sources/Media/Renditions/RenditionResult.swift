import Foundation

/// One rendition as written and checked: what the catalog stores about it.
public struct RenditionResult: Codable, Sendable, Equatable {
    /// The rung name, e.g. `"720p"`.
    public var name: String
    /// Where the MP4 was written.
    public var path: String
    /// Size of the video as probed (the plan's size when the file could not be probed).
    public var width: Int
    public var height: Int
    /// Container duration as probed; nil when the file could not be probed.
    public var durationSeconds: Double?
    /// File size in bytes; 0 when nothing was written.
    public var sizeBytes: Int64
    /// Overall bit rate in bits/s as probed; nil when unknown.
    public var bitRate: Int64?
    /// PSNR in dB against the source scaled to this size, from the squared error over all
    /// planes and frames (the `average` of ffmpeg's `psnr` filter); at most 100.
    public var psnr: Double?
    /// Mean luma SSIM (0…1) against the scaled source (the `Y` of ffmpeg's `ssim` filter).
    public var ssim: Double?
    /// Whether every post-write check passed (``problems`` is empty).
    public var verified: Bool
    /// Every check that failed or step that went wrong, for people to read.
    public var problems: [String]

    public init(name: String, path: String, width: Int, height: Int, durationSeconds: Double?, sizeBytes: Int64,
                bitRate: Int64?, psnr: Double?, ssim: Double?, verified: Bool, problems: [String]) {
        self.name = name
        self.path = path
        self.width = width
        self.height = height
        self.durationSeconds = durationSeconds
        self.sizeBytes = sizeBytes
        self.bitRate = bitRate
        self.psnr = psnr
        self.ssim = ssim
        self.verified = verified
        self.problems = problems
    }
}

/// Post-write checks of one rendition, by probing the file in-process.
enum RenditionVerifier {
    static func verify(plan: RenditionPlan, path: String, sourceDurationSeconds: Double?, expectsAudio: Bool,
                       psnr: Double?, ssim: Double?, problems encodeProblems: [String]) -> RenditionResult {
        var result = RenditionResult(
            name: plan.name, path: path, width: plan.width, height: plan.height, durationSeconds: nil, sizeBytes: 0,
            bitRate: nil, psnr: psnr, ssim: ssim, verified: false, problems: encodeProblems)
        guard encodeProblems.isEmpty else { return result }

        let report: ProbeReport
        do {
            report = try MediaProbe.probe(path: path)
        } catch {
            result.problems.append("probe failed: \(error.message)")
            return result
        }
        result.sizeBytes = report.container.sizeBytes
        result.bitRate = report.container.bitRate
        result.durationSeconds = report.container.durationSeconds
        result.problems += problems(in: report, plan: plan, sourceDurationSeconds: sourceDurationSeconds, expectsAudio: expectsAudio)
        result.problems += boxOrderProblems(path: path)
        if let video = report.primaryVideo, let width = video.width, let height = video.height {
            result.width = width
            result.height = height
        }
        result.verified = result.problems.isEmpty
        return result
    }

    static func problems(in report: ProbeReport, plan: RenditionPlan, sourceDurationSeconds: Double?, expectsAudio: Bool) -> [String] {
        var found: [String] = []
        guard let video = report.primaryVideo else { return ["no video stream in the output"] }
        if video.width != plan.width || video.height != plan.height {
            found.append("size \(video.width ?? 0)x\(video.height ?? 0), planned \(plan.width)x\(plan.height)")
        }
        if video.rotationDegrees.map({ $0 != 0 }) ?? false {
            found.append("rotation metadata \(video.rotationDegrees ?? 0)° left in the output")
        }
        let frameRate = video.averageFrameRate?.value ?? 0
        if frameRate > Double(plan.maxFrameRate) + 0.5 {
            found.append(String(format: "frame rate %.2f above the %d fps cap", frameRate, plan.maxFrameRate))
        }
        if let source = sourceDurationSeconds {
            let frame = 1 / (plan.frameRate ?? 30)
            if let duration = report.container.durationSeconds {
                // One frame of slack plus a millisecond for time-base rounding.
                if abs(duration - source) > frame + 0.001 {
                    found.append(String(format: "duration %.3f s, source %.3f s (more than one frame apart)", duration, source))
                }
            } else {
                found.append("duration unknown")
            }
        }
        if expectsAudio {
            if let audio = report.primaryAudio {
                if audio.sampleRate != plan.audioSampleRate || audio.channels != plan.audioChannels {
                    found.append("audio \(audio.sampleRate ?? 0) Hz \(audio.channels ?? 0) ch, planned \(plan.audioSampleRate) Hz \(plan.audioChannels) ch")
                }
            } else {
                found.append("no audio stream in the output")
            }
        }
        return found
    }

    /// The moov box must come before mdat, or players cannot start before the whole file loads.
    static func boxOrderProblems(path: String) -> [String] {
        guard let file = try? ReadOnlyFile(path: path), let boxes = OpenFailureDiagnosis.topLevelBoxes(of: file) else {
            return ["cannot read the MP4 box structure"]
        }
        guard let moov = boxes.types.firstIndex(of: "moov"), let mdat = boxes.types.firstIndex(of: "mdat") else {
            return ["missing moov or mdat box (top-level boxes: \(boxes.types.joined(separator: ", ")))"]
        }
        return moov < mdat ? [] : ["moov after mdat: not fast-start (top-level boxes: \(boxes.types.joined(separator: ", ")))"]
    }
}
